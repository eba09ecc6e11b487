/**
 * Helpers for tests that run the same tfjs ops on two backends (the wasm kernels against cpu's): seeded inputs,
 * a run on a named backend, and a comparison within float32 tolerance.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../../src/server/random';

export type Shape4 = [number, number, number, number];

/** `count` values in [−1, 1), the same for the same seed. */
export function randomValues(count: number, seed: number): Float32Array {
  const rand = createRandom(seed);
  return Float32Array.from({ length: count }, () => rand() * 2 - 1);
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `fn` on a backend with fresh tensors made from `arrays`; returns the results as plain arrays. */
export async function onBackend(
  backend: string,
  arrays: [Float32Array, number[]][],
  fn: (...t: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = arrays.map(([values, shape]) => tf.tensor(values, shape));
  const outs = tf.tidy(() => fn(...tensors));
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...tensors, ...outs]);
  return values;
}

/** Every element within 1e-4 of the largest expected magnitude (at least 1); NaN only where NaN is expected. */
export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) {
    const close = Number.isNaN(expected[i])
      ? Number.isNaN(actual[i])
      : Math.abs(actual[i] - expected[i]) <= 1e-4 * scale;
    if (!close) assert.fail(`${what}: element ${i} is ${actual[i]} on wasm but ${expected[i]} on cpu`);
  }
}
