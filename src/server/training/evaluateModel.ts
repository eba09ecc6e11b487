/**
 * After training: the model's predictions on every held-out test sample, turned into the run's evaluation
 * (src/shared/evaluation.ts) with each shown example's input attached (image bytes for images, features
 * otherwise). Two files in the model folder keep it: `evaluation.json` (what the `evaluation` event and
 * GET /api/runs/:id carry) and `evaluation-samples.json` (the inputs behind every confusion cell, for
 * GET /api/runs/:id/evaluation/samples).
 */
import * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluatePredictions, type Evaluation, type EvaluationSample } from '../../shared/evaluation';
import type { Dataset, LabeledSamples } from '../data/types';

const BATCH = 512;
export const EVALUATION_FILE = 'evaluation.json';
export const EVALUATION_SAMPLES_FILE = 'evaluation-samples.json';

/** The probabilities (n × k, k ≥ 2) of every sample of `set`; a one-unit output p becomes [1 - p, p]. */
export async function predictAll(
  model: tf.LayersModel,
  set: LabeledSamples,
  inputShape: number[],
): Promise<{ probabilities: Float32Array; classes: number }> {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const parts: Float32Array[] = [];
  let units = 0;
  for (let start = 0; start < set.count; start += BATCH) {
    const end = Math.min(set.count, start + BATCH);
    const out = tf.tidy(
      () => model.predict(tf.tensor(set.x.subarray(start * per, end * per), [end - start, ...inputShape])) as tf.Tensor,
    );
    units = out.shape[out.shape.length - 1] ?? 1;
    parts.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const flat = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    flat.set(p, offset);
    offset += p.length;
  }
  if (units !== 1) return { probabilities: flat, classes: units };
  const two = new Float32Array(flat.length * 2);
  flat.forEach((p, i) => {
    two[2 * i] = 1 - p;
    two[2 * i + 1] = p;
  });
  return { probabilities: two, classes: 2 };
}

/** What a person sees of one test sample: the image for image-shaped inputs, else the numbers. */
export function sampleInput(dataset: Dataset, index: number): Pick<EvaluationSample, 'image' | 'features'> {
  const shape = dataset.inputShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const values = dataset.test.x.subarray(index * per, (index + 1) * per);
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) {
    let max = 0;
    for (const v of values) max = Math.max(max, v);
    const scale = max > 1.001 ? 1 : 255; // 0..1 data (MNIST) or 0..255 data
    const bytes = Buffer.from(Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(v * scale)))));
    return { image: { height: shape[0], width: shape[1], channels: shape[2], base64: bytes.toString('base64') } };
  }
  return { features: Array.from(values, (v) => Math.round(v * 1e4) / 1e4) };
}

export interface EvaluationFiles {
  evaluation: Evaluation;
  /** Every index named in `evaluation.cells`, with its input. */
  samples: Record<number, Pick<EvaluationSample, 'image' | 'features'>>;
}

export async function evaluateModel(
  model: tf.LayersModel,
  dataset: Dataset,
  loss: number | null,
): Promise<EvaluationFiles | null> {
  if (dataset.test.count === 0) return null;
  const { probabilities, classes } = await predictAll(model, dataset.test, dataset.inputShape);
  const evaluation = evaluatePredictions(probabilities, dataset.test.labels, classes, {
    classNames: dataset.classNames,
    loss,
  });
  evaluation.examples = evaluation.examples.map((e) => ({ ...e, ...sampleInput(dataset, e.index) }));
  const samples: EvaluationFiles['samples'] = {};
  for (const indices of Object.values(evaluation.cells)) for (const i of indices) samples[i] = sampleInput(dataset, i);
  return { evaluation, samples };
}

export async function writeEvaluation(modelDir: string, files: EvaluationFiles): Promise<void> {
  await writeFile(join(modelDir, EVALUATION_FILE), JSON.stringify(files.evaluation));
  await writeFile(join(modelDir, EVALUATION_SAMPLES_FILE), JSON.stringify(files.samples));
}
