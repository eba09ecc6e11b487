/**
 * Faster matrix products on wasm. Two costs of tfjs-backend-wasm 4.22's BatchMatMul shape this:
 *
 * - With `transposeA` or `transposeB` it falls back to a plain loop, ~20× slower than XNNPACK (28 ms instead
 *   of 1.5 ms for 64×784 by 784×256), and the backward pass of every dense layer is made of exactly those
 *   products. An explicit `Transpose` (a cheap copy) lets the fast kernel run instead.
 * - The fast kernel repacks its right operand on every call (XNNPACK's fully-connected operator, cached per
 *   tensor, and a dense layer's weights are a new tensor after every step). Packing costs ~10× more per
 *   value than a transpose: 2–4 ms of the 3–6 ms of a 64×784 by 784×256 forward product. So a product
 *   whose right operand is much larger than its left is computed as (bᵀ × aᵀ)ᵀ, which packs aᵀ instead.
 *
 * `planMatMul` picks, for a product of batch 1, whichever order moves fewer values by that cost model.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
interface KernelArgs {
  inputs: Record<string, Info>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

/** Packing one value of the right operand costs about this many transposed values (measured 10–20). */
const PACK_COST = 8;

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/**
 * Whether (bᵀ × aᵀ)ᵀ moves fewer values than a × b for an M×K by K×N product, given which operands are
 * stored transposed (a stored as aᵀ is exactly what the swapped order needs, and likewise b).
 */
export function planMatMul(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): 'direct' | 'swapped' {
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  const swapped = (transposeA ? 0 : m * k) + (transposeB ? 0 : k * n) + PACK_COST * k * m + m * n;
  return swapped < direct ? 'swapped' : 'direct';
}

/** Wraps BatchMatMul so that it never sees transpose flags and packs the cheaper operand. */
export function withExplicitTranspose(
  original: tf.KernelFunc,
  options: { swap: boolean } = { swap: false },
): tf.KernelFunc {
  const transposeKernel = tf.getKernel('Transpose', 'wasm').kernelFunc;
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    const { a, b } = inputs;
    const temporaries: Info[] = [];
    const flip = (x: Info) => {
      const t = transposeKernel({ inputs: { x }, backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as Info;
      temporaries.push(t);
      return t;
    };
    const run = (x: Info, y: Info) =>
      original({
        inputs: { ...inputs, a: x, b: y },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as Info;
    const batch = (x: Info) => x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const [m, k] = transposeA ? [a.shape[a.shape.length - 1], a.shape[a.shape.length - 2]] : a.shape.slice(-2);
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    if (options.swap && batch(a) === 1 && batch(b) === 1 && planMatMul(m, k, n, transposeA, transposeB) === 'swapped') {
      const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const bT = transposeB ? b : flip(b);
      const aT = transposeA ? a : flip(a);
      const productT = run({ ...bT, shape: [1, n, k] }, { ...aT, shape: [1, k, m] });
      const out = transposeKernel({
        inputs: { x: { ...productT, shape: [n, m] } },
        backend,
        attrs: { perm: [1, 0] },
      }) as Info;
      temporaries.push(productT);
      for (const t of temporaries) backend.disposeData(t.dataId);
      return { ...out, shape: [...outer, m, n] };
    }
    if (!transposeA && !transposeB) return original(args as never);
    const out = run(transposeA ? flip(a) : a, transposeB ? flip(b) : b);
    for (const t of temporaries) backend.disposeData(t.dataId);
    return out;
  }) as unknown as tf.KernelFunc;
}
