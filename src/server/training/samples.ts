/**
 * Sample predictions for the final `state` event: a few validation samples with the model's answer, as the
 * original Stitch's frontend draws them (a 28×28 grid of 0–255 values, the true label, the prediction and
 * its confidence), marking the wrong ones.
 */
import * as tf from '@tensorflow/tfjs';
import type { SamplePrediction } from '../../shared/protocol';
import type { LabeledSamples } from '../data/types';

export const SAMPLE_PREDICTIONS = 8;

/**
 * The input as rows of 0–255 values, for single-channel images (`[h, w]`, `[h, w, 1]`) and for flat inputs
 * whose size is a square (784 → 28×28); null for anything else, which has no picture to draw.
 */
function gridOf(values: Float32Array, inputShape: number[]): number[][] | null {
  const square = Math.round(Math.sqrt(values.length));
  const [height, width] =
    inputShape.length >= 2 && (inputShape.length === 2 || inputShape[2] === 1)
      ? [inputShape[0], inputShape[1]]
      : inputShape.length === 1 && square * square === values.length
        ? [square, square]
        : [0, 0];
  if (height === 0) return null;
  // Our datasets hold pixels as 0..1; a dataset of raw 0..255 values is drawn as it is.
  const scale = values.every((v) => v <= 1) ? 255 : 1;
  const grid: number[][] = [];
  for (let r = 0; r < height; r++) {
    grid.push(
      Array.from(values.subarray(r * width, (r + 1) * width), (v) => Math.max(0, Math.min(255, Math.round(v * scale)))),
    );
  }
  return grid;
}

/** The first `count` samples of `set` with the model's prediction; empty when the input is not an image. */
export async function samplePredictions(
  model: tf.LayersModel,
  set: LabeledSamples | null,
  inputShape: number[],
  count = SAMPLE_PREDICTIONS,
): Promise<SamplePrediction[]> {
  if (!set || set.count === 0) return [];
  const n = Math.min(count, set.count);
  const size = set.x.length / set.count;
  const x = set.x.subarray(0, n * size);
  if (gridOf(x.subarray(0, size), inputShape) === null) return [];
  const flat = tf.tidy(() => {
    const output = model.predict(tf.tensor(x, [n, ...inputShape]));
    return (Array.isArray(output) ? output[0] : output).reshape([n, -1]);
  });
  // Read asynchronously: webgpu has no synchronous read-back under Node (it needs an OffscreenCanvas).
  const rows = (await flat.array()) as number[][];
  flat.dispose();
  return rows.map((row, i) => {
    // A single sigmoid unit is a binary classifier: its two classes are 1 - p and p.
    const probabilities = row.length === 1 ? [1 - row[0], row[0]] : row;
    const prediction = probabilities.indexOf(Math.max(...probabilities));
    return {
      grid: gridOf(x.subarray(i * size, (i + 1) * size), inputShape) ?? [],
      label: set.labels[i],
      prediction,
      confidence: probabilities[prediction] ?? 0,
    };
  });
}
