/**
 * Seeded randomness for reproducible runs.
 *
 * Three sources of randomness decide a run: weight initializers (seeded explicitly in `buildModel`), the
 * order of samples (shuffled here with `seed + epoch`), and tfjs ops without a seed, such as dropout's
 * masks, which draw their seeds from `Math.random`. For the last, `withSeededMathRandom` replaces
 * `Math.random` with a seeded generator for the duration of a run and restores it afterwards, so two runs
 * with the same seed see the same masks. In the trainer child process only one run ever executes; in-process
 * callers (tests, the bench) must not run two trainings concurrently if they want reproducible results.
 */

/** mulberry32: a tiny, fast 32-bit generator; plenty for shuffling and dropout seeds (not for cryptography). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
export function createNormal(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: { length: number; [i: number]: T }, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

/** The indices 0..n-1 in a seeded random order. */
export function shuffledIndices(n: number, seed: number): Int32Array {
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  shuffleInPlace(indices, createRandom(seed));
  return indices;
}

/** Runs `fn` with `Math.random` replaced by a generator seeded with `seed`; restores it afterwards. */
export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = createRandom(seed ^ 0x5eed);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
