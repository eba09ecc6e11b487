/**
 * The inference thread (`dist/inferenceWorker.js`; started by inference.ts). It loads TensorFlow.js and the
 * models, and runs every prediction of `POST /api/infer` off the server's event loop: one sample of a model
 * near the parameter budget takes 200 ms on `cpu`, and the first predict after loading one on `wasm` 850 ms
 * (docs/reliability.md), which health and event streams must never wait for.
 */
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { LayersModel } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { ActivationRequestError, checkActivationRequest, layerActivations } from '../training/activations';
import { chooseBackend } from '../training/backend';
import { loadModel } from '../training/modelIo';
import { slicedPredict } from '../training/slicedPredict';
import type { InferenceInit, InferenceReply, InferenceRequest } from './inferenceProtocol';

const init = workerData as InferenceInit;
const backend = chooseBackend(init.backend);
const cache = new Map<string, Promise<LayersModel>>();

/** A request's model, from the cache (least recently used goes first) or loaded. */
function load(runId: string, modelDir: string): Promise<LayersModel> {
  let model = cache.get(runId);
  if (model) {
    cache.delete(runId);
  } else {
    model = backend.then(() => loadModel(modelDir));
    model.catch(() => cache.delete(runId));
  }
  cache.set(runId, model);
  for (const oldest of cache.keys()) {
    if (cache.size <= init.cacheSize) break;
    forget(oldest);
  }
  return model;
}

function forget(runId: string): void {
  const model = cache.get(runId);
  cache.delete(runId);
  void model?.then(
    (m) => m.dispose(),
    () => undefined, // it never loaded: nothing to free
  );
}

class ClientError extends Error {}

/** Class probabilities per row; a 400 when the output is not finite (values far from what the model saw). */
function probabilities(rows: number[][], source: string): number[][] {
  if (!rows.every((row) => row.every(Number.isFinite))) {
    throw new ClientError(
      `${source}: the model's output is not finite for these values; send values of the size it was trained on (${source === 'pixels' ? '0..255 or 0..1' : 'like the dataset'})`,
    );
  }
  // A single sigmoid unit is a binary classifier: report both classes.
  return rows.map((row) => (row.length === 1 ? [1 - row[0], row[0]] : row));
}

async function answer(request: Exclude<InferenceRequest, { type: 'forget' }>): Promise<InferenceReply> {
  const model = await load(request.runId, request.modelDir);
  const { id, inputShape, values } = request;
  if (request.type === 'batch') {
    // A slice of rows at a time, so a 10,000-row batch of a CNN never holds all its activations at once.
    const rows = await slicedPredict(tf, model, {
      rows: request.rows,
      slice: (offset: number, n: number) => {
        const size = values.length / request.rows;
        return tf.tensor(Float32Array.from(values.subarray(offset * size, (offset + n) * size)), [n, ...inputShape]);
      },
    });
    return { id, probabilities: probabilities(rows, 'batch') };
  }
  try {
    checkActivationRequest(model, request.activations);
  } catch (error) {
    if (error instanceof ActivationRequestError) throw new ClientError(error.message);
    throw error;
  }
  const tensor = tf.tensor(Float32Array.from(values), [1, ...inputShape]);
  try {
    const rows = await slicedPredict(tf, model, tensor);
    const reply: InferenceReply = { id, probabilities: probabilities(rows, request.source) };
    if (request.activations.length > 0) reply.activations = await layerActivations(model, tensor, request.activations);
    return reply;
  } finally {
    tensor.dispose();
  }
}

parentPort?.on('message', (request: InferenceRequest) => {
  if (request.type === 'forget') return forget(request.runId);
  void answer(request).then(
    (reply) => parentPort?.postMessage(reply),
    (err: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error:
          err instanceof ClientError
            ? { status: 400, message: err.message }
            : { status: 500, message: err instanceof Error ? (err.stack ?? err.message) : String(err) },
      } satisfies InferenceReply),
  );
});

// On Linux a priority belongs to a thread (0 names this one): on a machine with few cores a long prediction
// must leave the CPU to the event loop whenever it has a request.
try {
  setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not permitted here: predictions run at the normal priority.
}
