/**
 * A Keras `model.summary()` table from the schema core's inference: each layer's name and type, output
 * shape (with the batch as None), parameter count, and the trainable / non-trainable totals (batch
 * normalization's moving mean and variance are the non-trainable weights). Shown in the visual editor and a
 * run's page; equal to what tfjs' own summary counts (test/shared/summary.test.ts).
 */
import type { LayerShapeInfo } from '../protocol';
import { LAYERS, isLayerType } from './layers';
import type { LayerSpec, StitchSchema } from './types';

export interface SummaryRow {
  id: string;
  /** The tf.layers class, as model.summary() prints it, e.g. Conv2D. */
  className: string;
  /** Output shape without the batch dimension, or null where it could not be inferred. */
  outputShape: number[] | null;
  params: number;
  nonTrainable: number;
}

export interface ModelSummaryTable {
  rows: SummaryRow[];
  total: number;
  trainable: number;
  nonTrainable: number;
}

const CLASS_NAMES: Readonly<Partial<Record<string, string>>> = {
  dense: 'Dense',
  conv2d: 'Conv2D',
  depthwiseConv2d: 'DepthwiseConv2D',
  separableConv2d: 'SeparableConv2D',
  maxPooling2d: 'MaxPooling2D',
  averagePooling2d: 'AveragePooling2D',
  globalAveragePooling2d: 'GlobalAveragePooling2D',
  flatten: 'Flatten',
  dropout: 'Dropout',
  batchNormalization: 'BatchNormalization',
  activation: 'Activation',
  reshape: 'Reshape',
  add: 'Add',
  concatenate: 'Concatenate',
};

function nonTrainableOf(layer: LayerSpec, shape: LayerShapeInfo | undefined): number {
  if (layer.type !== 'batchNormalization' || !shape) return 0;
  const rank = shape.outputShape.length;
  const axis = typeof layer.axis === 'number' ? (layer.axis < 0 ? rank + layer.axis : layer.axis - 1) : rank - 1;
  return 2 * (shape.outputShape[axis] ?? 0);
}

export function modelSummary(
  schema: Pick<StitchSchema, 'layers'>,
  shapes: Readonly<Record<string, LayerShapeInfo>>,
): ModelSummaryTable {
  const rows = schema.layers.map((layer): SummaryRow => {
    const info = Object.prototype.hasOwnProperty.call(shapes, layer.id) ? shapes[layer.id] : undefined;
    return {
      id: layer.id,
      className: CLASS_NAMES[layer.type] ?? (isLayerType(layer.type) ? LAYERS[layer.type].factory : layer.type),
      outputShape: info ? info.outputShape : null,
      params: info?.params ?? 0,
      nonTrainable: nonTrainableOf(layer, info),
    };
  });
  const total = rows.reduce((a, r) => a + r.params, 0);
  const nonTrainable = rows.reduce((a, r) => a + r.nonTrainable, 0);
  return { rows, total, trainable: total - nonTrainable, nonTrainable };
}

/** `(None, 26, 26, 32)`, as Keras prints an output shape. */
export function formatSummaryShape(shape: readonly number[] | null): string {
  return shape ? `(None, ${shape.join(', ')})`.replace(', )', ')') : '?';
}

/** The table as text, in model.summary()'s layout. */
export function formatSummary(table: ModelSummaryTable, name = 'model'): string {
  const cells = table.rows.map((r) => [
    `${r.id} (${r.className})`,
    formatSummaryShape(r.outputShape),
    r.params.toLocaleString('en-US'),
  ]);
  const head = ['Layer (type)', 'Output shape', 'Param #'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, 0));
  return [
    `Model: "${name}"`,
    rule,
    line(head),
    rule.replace(/─/g, '═'),
    ...cells.map(line),
    rule,
    `Total params: ${table.total.toLocaleString('en-US')}`,
    `Trainable params: ${table.trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${table.nonTrainable.toLocaleString('en-US')}`,
  ].join('\n');
}
