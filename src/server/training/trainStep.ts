/**
 * One optimizer step whose loss and accuracy stay on the backend, and a queue that reads several steps'
 * values back at once.
 *
 * Why: `model.trainOnBatch` awaits `loss.data()` after every batch. On webgpu that wait drains the GPU's
 * queue each batch (the CPU cannot record the next batch's work until the GPU has finished this one); on wasm
 * it is an await per batch. The step here is trainOnBatch's own computation (the model's train function on
 * the standardized inputs), so the values are the same; only when they are read changes.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tf.LayersModel that trainOnBatch uses; tfjs declares them protected. */
interface TrainInternals {
  standardizeUserData(x: tf.Tensor, y: tf.Tensor): Promise<[tf.Tensor[], tf.Tensor[]]>;
  makeTrainFunction(): (data: tf.Tensor[]) => tf.Scalar[];
}

/** One optimizer step on xs, ys; returns [loss, metrics…] as scalars the caller must dispose. */
export async function trainStep(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<tf.Scalar[]> {
  // A Sequential trains through the LayersModel it wraps (its trainOnBatch delegates to it).
  const internals = (model instanceof tf.Sequential
    ? (model as unknown as { model: tf.LayersModel }).model
    : model) as unknown as TrainInternals;
  const [inputs, targets] = await internals.standardizeUserData(xs, ys);
  const scalars = internals.makeTrainFunction()([...inputs, ...targets]);
  // Standardizing may reshape (e.g. labels of rank 1 get a second axis): free what it made, as trainOnBatch does.
  tf.dispose([...inputs, ...targets].filter((t) => t !== xs && t !== ys));
  return scalars;
}

/** Steps whose values are still on the backend, in batch order, with what the caller needs to report them. */
export class PendingSteps<T> {
  private steps: { info: T; scalars: tf.Scalar[]; known?: number[] }[] = [];

  get size(): number {
    return this.steps.length;
  }

  add(info: T, scalars: tf.Scalar[]): void {
    this.steps.push({ info, scalars });
  }

  /** A step whose values are already read (data-parallel steps answer with numbers). */
  addValues(info: T, values: number[]): void {
    this.steps.push({ info, scalars: [], known: values });
  }

  /**
   * Reads every pending step's values and frees them; returns them in order. The scalars are joined into one
   * tensor and read once: on webgpu each read is a copy, a queue submit and a wait for the GPU, so reading
   * 100 steps' loss and accuracy one by one cost 200 of them.
   */
  async read(): Promise<{ info: T; values: number[] }[]> {
    const steps = this.steps;
    this.steps = [];
    const scalars = steps.flatMap((s) => s.scalars);
    let joined: tf.Tensor | null = null;
    try {
      joined = scalars.length > 0 ? tf.tidy(() => tf.concat(scalars.map((s) => s.reshape([1])))) : null;
      const flat = joined ? await joined.data() : new Float32Array(0);
      let at = 0;
      return steps.map(({ info, scalars: own, known }) => {
        const values = known ?? Array.from(flat.subarray(at, at + own.length));
        at += own.length;
        return { info, values };
      });
    } finally {
      tf.dispose(joined ? [joined, ...scalars] : scalars);
    }
  }

  /** Frees what is pending without reading it (cancellation, errors). */
  discard(): void {
    tf.dispose(this.steps.flatMap((s) => s.scalars));
    this.steps = [];
  }
}
