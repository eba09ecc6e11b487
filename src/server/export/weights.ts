/**
 * Reads the weights of a trained run (the tfjs layers format: `model.json` + `weights.bin`) and lays them out
 * for PyTorch or Keras. Weight names are `<layer id>/<weight>` (tfjs names layers by schema id; see
 * training/model.ts), e.g. `conv1/kernel`, `bn/moving_mean`.
 *
 * Layouts (tfjs = Keras):
 *   dense kernel [in, out]                  → nn.Linear weight [out, in]
 *   conv2d kernel [kh, kw, in, out]         → nn.Conv2d weight [out, in, kh, kw]
 *   depthwise kernel [kh, kw, in, mult]     → grouped nn.Conv2d weight [in·mult, 1, kh, kw]
 *   separable pointwise [1, 1, in·mult, out] → nn.Conv2d weight [out, in·mult, 1, 1]
 *   batchNormalization gamma/beta/moving_* → weight/bias/running_mean/running_var
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerSpec } from '../../shared/schema/types';
import type { NamedTensor } from './safetensors';

export interface RawWeight {
  shape: number[];
  data: Float32Array;
}

interface ManifestJson {
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
}

/** The float32 weights of a saved tfjs model, by name. */
export async function readTfjsWeights(modelDir: string): Promise<Map<string, RawWeight>> {
  let json: ManifestJson;
  try {
    json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as ManifestJson;
  } catch (err) {
    throw new Error(
      `cannot read the trained model in ${modelDir}: ${(err as Error).message}; train the schema again to recreate it`,
    );
  }
  const weights = new Map<string, RawWeight>();
  for (const group of json.weightsManifest ?? []) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(modelDir, p)))));
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== undefined && spec.dtype !== 'float32')
        throw new Error(`weight ${spec.name} is ${spec.dtype}; only float32 models can be exported`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(new Uint8Array(bytes.subarray(offset, offset + count * 4)).buffer);
      weights.set(spec.name, { shape: spec.shape, data });
      offset += count * 4;
    }
  }
  return weights;
}

/** Moves axes: `perm[i]` is the source axis of output axis i (as numpy.transpose). */
export function transpose(w: RawWeight, perm: readonly number[]): RawWeight {
  const shape = perm.map((p) => w.shape[p]);
  const srcStrides = strides(w.shape);
  const out = new Float32Array(w.data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += index[d] * srcStrides[perm[d]];
    out[i] = w.data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { shape, data: out };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

function take(weights: Map<string, RawWeight>, layer: string, name: string): RawWeight | undefined {
  return weights.get(`${layer}/${name}`);
}

function tensor(name: string, w: RawWeight): NamedTensor {
  return { name, dtype: 'F32', shape: w.shape, data: w.data };
}

/** The weights as the exported `nn.Module`'s state dict names them (`<id>.weight`, `<id>_pointwise.bias`, …). */
export function torchStateDict(layers: readonly LayerSpec[], weights: Map<string, RawWeight>): NamedTensor[] {
  const out: NamedTensor[] = [];
  const put = (name: string, w: RawWeight | undefined, perm?: readonly number[]): void => {
    if (w) out.push(tensor(name, perm ? transpose(w, perm) : w));
  };
  for (const layer of layers) {
    const id = layer.id;
    switch (layer.type) {
      case 'dense':
        put(`${id}.weight`, take(weights, id, 'kernel'), [1, 0]);
        put(`${id}.bias`, take(weights, id, 'bias'));
        break;
      case 'conv2d':
        put(`${id}.weight`, take(weights, id, 'kernel'), [3, 2, 0, 1]);
        put(`${id}.bias`, take(weights, id, 'bias'));
        break;
      case 'depthwiseConv2d':
        put(`${id}.weight`, depthwiseToTorch(take(weights, id, 'depthwise_kernel')));
        put(`${id}.bias`, take(weights, id, 'bias'));
        break;
      case 'separableConv2d':
        put(`${id}_depthwise.weight`, depthwiseToTorch(take(weights, id, 'depthwise_kernel')));
        put(`${id}_pointwise.weight`, take(weights, id, 'pointwise_kernel'), [3, 2, 0, 1]);
        put(`${id}_pointwise.bias`, take(weights, id, 'bias'));
        break;
      case 'batchNormalization': {
        const mean = take(weights, id, 'moving_mean');
        if (!mean) break;
        const ones = { shape: mean.shape, data: new Float32Array(mean.data.length).fill(1) };
        const zeros = { shape: mean.shape, data: new Float32Array(mean.data.length) };
        put(`${id}.weight`, take(weights, id, 'gamma') ?? ones);
        put(`${id}.bias`, take(weights, id, 'beta') ?? zeros);
        put(`${id}.running_mean`, mean);
        put(`${id}.running_var`, take(weights, id, 'moving_variance'));
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** [kh, kw, in, mult] → [in·mult, 1, kh, kw]: output channel c·mult + m, as both frameworks order them. */
function depthwiseToTorch(w: RawWeight | undefined): RawWeight | undefined {
  if (!w) return undefined;
  const t = transpose(w, [2, 3, 0, 1]); // [in, mult, kh, kw]
  return { shape: [t.shape[0] * t.shape[1], 1, t.shape[2], t.shape[3]], data: t.data };
}

/** The weights in Keras order and names (`<layer>/<weight>`), exactly as tfjs trained them. */
export function kerasWeights(weights: Map<string, RawWeight>): NamedTensor[] {
  return [...weights].map(([name, w]) => tensor(name, w));
}
