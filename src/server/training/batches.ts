/**
 * Turning dataset samples into tensors, one batch at a time, with the label encoding the loss expects.
 * Copying a batch's rows in JS is cheap next to the training step, and keeps whole datasets out of
 * tensor memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../shared/schema/types';
import type { LabeledSamples } from '../data/types';

/**
 * - `onehot`: `[batch, numClasses]`, for categorical losses (and MSE/MAE on a multi-unit output).
 * - `sparse`: `[batch, 1]` class indices, for sparseCategoricalCrossentropy.
 * - `binary`: `[batch, 1]` 0/1, for a single-unit output (sigmoid + binaryCrossentropy) on two classes.
 */
export type LabelEncoding = 'onehot' | 'sparse' | 'binary';

/**
 * Chooses the encoding from the loss and the model's output width, and checks that they fit the data:
 * a mismatch is reported in terms of what to change in the schema.
 */
export function labelEncodingFor(loss: LossName, outputShape: (number | null)[], numClasses: number): LabelEncoding {
  const units = outputShape[outputShape.length - 1] ?? 0;
  if (outputShape.length !== 2) {
    throw new Error(
      `the model's output has shape [${outputShape.slice(1).join(', ')}] but classification needs a flat output; ` +
        `add a flatten (or globalAveragePooling2d) layer before the last dense layer`,
    );
  }
  if (loss === 'sparseCategoricalCrossentropy') {
    if (units !== numClasses) throw unitsError(units, numClasses);
    return 'sparse';
  }
  if (units === 1) {
    if (numClasses !== 2) {
      throw new Error(
        `the output layer has 1 unit but the dataset has ${numClasses} classes; give the last dense layer ${numClasses} units with softmax`,
      );
    }
    return 'binary';
  }
  if (loss === 'binaryCrossentropy' && numClasses !== 2 && units !== numClasses) throw unitsError(units, numClasses);
  if (units !== numClasses) throw unitsError(units, numClasses);
  return 'onehot';
}

function unitsError(units: number, numClasses: number): Error {
  return new Error(
    `the output layer has ${units} units but the dataset has ${numClasses} classes; set the last dense layer's units to ${numClasses}`,
  );
}

/** The accuracy metric that matches an encoding (tfjs picks one per loss; we pick per encoding). */
export function accuracyMetric(encoding: LabelEncoding): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  if (encoding === 'sparse') return tf.metrics.sparseCategoricalAccuracy;
  if (encoding === 'binary') return tf.metrics.binaryAccuracy;
  return tf.metrics.categoricalAccuracy;
}

export interface Batch {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

/**
 * Tensors for the samples `order[start..end)` of `data`: xs `[n, ...inputShape]`, ys per `encoding`.
 * The caller disposes both.
 */
export function makeBatch(
  data: LabeledSamples,
  order: ArrayLike<number> | null,
  start: number,
  end: number,
  inputShape: number[],
  numClasses: number,
  encoding: LabelEncoding,
): Batch {
  const n = end - start;
  const size = data.count === 0 ? 0 : data.x.length / data.count;
  let x: Float32Array;
  const labels = new Int32Array(n);
  if (order === null) {
    x = data.x.subarray(start * size, end * size);
    labels.set(data.labels.subarray(start, end));
  } else {
    x = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const j = order[start + i];
      x.set(data.x.subarray(j * size, (j + 1) * size), i * size);
      labels[i] = data.labels[j];
    }
  }
  const xs = tf.tensor(x, [n, ...inputShape], 'float32');
  let ys: tf.Tensor;
  if (encoding === 'onehot') {
    const y = new Float32Array(n * numClasses);
    for (let i = 0; i < n; i++) y[i * numClasses + labels[i]] = 1;
    ys = tf.tensor2d(y, [n, numClasses]);
  } else {
    ys = tf.tensor2d(Float32Array.from(labels), [n, 1]);
  }
  return { xs, ys };
}

/**
 * A training set uploaded to the backend once, as two tensors (inputs and encoded labels); each batch is then
 * gathered from them on the device: one upload of the batch's indices instead of its rows. On webgpu that keeps
 * the dataset on the GPU (train.ts uses it there); on the CPU backends copying rows in JS is as cheap and keeps
 * whole datasets out of tensor memory, so they do not.
 */
export class ResidentSamples {
  private readonly xs: tf.Tensor;
  private readonly ys: tf.Tensor;

  constructor(data: LabeledSamples, inputShape: number[], numClasses: number, encoding: LabelEncoding) {
    ({ xs: this.xs, ys: this.ys } = makeBatch(data, null, 0, data.count, inputShape, numClasses, encoding));
  }

  /** The bytes the inputs and labels of `data` take as tensors. */
  static bytes(data: LabeledSamples, numClasses: number, encoding: LabelEncoding): number {
    return 4 * (data.x.length + data.count * (encoding === 'onehot' ? numClasses : 1));
  }

  /** The batch `order[start..end)` (or `start..end` in the dataset's order), as makeBatch makes it; the caller disposes it. */
  batch(order: Int32Array | null, start: number, end: number): Batch {
    if (order === null) {
      return { xs: this.xs.slice(start, end - start), ys: this.ys.slice(start, end - start) };
    }
    return tf.tidy(() => {
      const indices = tf.tensor1d(order.subarray(start, end), 'int32');
      return { xs: tf.gather(this.xs, indices), ys: tf.gather(this.ys, indices) };
    });
  }

  dispose(): void {
    tf.dispose([this.xs, this.ys]);
  }
}
