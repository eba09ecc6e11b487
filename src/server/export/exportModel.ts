/**
 * `buildExport`: a trained run as files for another framework, the way out when a project outgrows one
 * machine (docs/export.md):
 *   tfjs     model.json + weights.bin (as trained), schema.stitch.json
 *   pytorch  model.py (nn.Module + load_model), weights.safetensors, train.py (torchrun-ready), data/, README.md
 *   keras    model.py (functional keras.Model + load_model), weights.safetensors, README.md
 * Every format also gets the schema it was trained from.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeSchema } from '../../shared/schema/analyze';
import type { StitchSchema } from '../../shared/schema/types';
import type { Dataset, LabeledSamples } from '../data/types';
import { kerasModelSource } from './kerasModel';
import { pytorchModelSource, torchShape, type ExportShapes } from './pytorchModel';
import { encodeSafetensors, type NamedTensor } from './safetensors';
import { trainScriptSource } from './trainScript';
import { kerasWeights, readTfjsWeights, torchStateDict } from './weights';
import { exportReadme } from './readme';

export const EXPORT_FORMATS = ['tfjs', 'keras', 'pytorch'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  /** Relative path inside the export folder, '/'-separated. */
  path: string;
  data: Buffer;
}

export interface ExportInput {
  schema: StitchSchema;
  /** The run's trained model folder (model.json + weights.bin). */
  modelDir: string;
  format: ExportFormat;
  /** The samples the run trained and was tested on, for train.py (pytorch); null leaves data/ out. */
  dataset: Dataset | null;
  runId: string;
}

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

function shapesOf(schema: StitchSchema): ExportShapes {
  const analysis = analyzeSchema(schema);
  if (!analysis.valid)
    throw new Error(
      `the run's schema is not valid any more (${analysis.problems[0]?.message ?? 'unknown problem'}); it cannot be exported`,
    );
  return Object.fromEntries(Object.entries(analysis.shapes).map(([id, info]) => [id, info.outputShape]));
}

export async function buildExport(input: ExportInput): Promise<ExportFile[]> {
  const { schema, modelDir, format } = input;
  const text = (path: string, content: string): ExportFile => ({ path, data: Buffer.from(content) });
  const files: ExportFile[] = [text('schema.stitch.json', JSON.stringify(schema, null, 2) + '\n')];
  const meta = {
    classNames: input.dataset?.classNames ?? null,
    numClasses: input.dataset?.numClasses ?? outputUnits(schema),
  };
  if (format === 'tfjs') {
    files.push(
      { path: 'model.json', data: await readFile(join(modelDir, 'model.json')) },
      { path: 'weights.bin', data: await readFile(join(modelDir, 'weights.bin')) },
    );
  } else {
    const shapes = shapesOf(schema);
    const weights = await readTfjsWeights(modelDir);
    const tensors = format === 'pytorch' ? torchStateDict(schema.layers, weights) : kerasWeights(weights);
    files.push({
      path: 'weights.safetensors',
      data: encodeSafetensors(tensors, {
        format: format === 'pytorch' ? 'pt' : 'keras',
        source: `stitch run ${input.runId}`,
      }),
    });
    files.push(
      text(
        'model.py',
        format === 'pytorch' ? pytorchModelSource(schema, shapes, meta) : kerasModelSource(schema, shapes, meta),
      ),
    );
    if (format === 'pytorch') {
      files.push(text('train.py', trainScriptSource(schema)));
      if (input.dataset) files.push({ path: 'data/dataset.safetensors', data: datasetFile(input.dataset) });
    }
  }
  files.push(text('README.md', exportReadme(schema, format, input.runId, input.dataset !== null)));
  return files;
}

function outputUnits(schema: StitchSchema): number {
  const shapes = shapesOf(schema);
  const last = shapes[schema.layers[schema.layers.length - 1].id];
  return last[last.length - 1] ?? 0;
}

/**
 * The run's samples in PyTorch order (images NCHW). Pixel data that is exactly k/255 (MNIST-like) is stored
 * as uint8, a quarter of the size; train.py scales it back.
 */
export function datasetFile(dataset: Dataset): Buffer {
  const tensors: NamedTensor[] = [];
  const asBytes = isByteScaled(dataset.train.x) && isByteScaled(dataset.test.x);
  for (const [split, samples] of [
    ['train', dataset.train],
    ['test', dataset.test],
  ] as const) {
    tensors.push(featuresTensor(`x_${split}`, samples, dataset.inputShape, asBytes));
    tensors.push({ name: `y_${split}`, dtype: 'I32', shape: [samples.count], data: samples.labels });
  }
  return encodeSafetensors(tensors, { classes: JSON.stringify(dataset.classNames ?? null), name: dataset.name });
}

function isByteScaled(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) {
    const k = x[i] * 255;
    if (Math.abs(k - Math.round(k)) > 1e-3 || k < -1e-3 || k > 255.001) return false;
  }
  return true;
}

function featuresTensor(name: string, samples: LabeledSamples, inputShape: number[], asBytes: boolean): NamedTensor {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const shape = [samples.count, ...torchShape(inputShape)];
  const out = asBytes ? new Uint8Array(samples.x.length) : new Float32Array(samples.x.length);
  const image = inputShape.length === 3;
  const [h, w, c] = inputShape;
  for (let n = 0; n < samples.count; n++) {
    for (let i = 0; i < per; i++) {
      // NHWC index i = (y·w + x)·c + ch → NCHW index ch·h·w + y·w + x.
      const j = image ? (i % c) * h * w + Math.floor(i / c) : i;
      const v = samples.x[n * per + i];
      out[n * per + j] = asBytes ? Math.round(v * 255) : v;
    }
  }
  return { name, dtype: asBytes ? 'U8' : 'F32', shape, data: out };
}
