/**
 * Messages between the model service (models.ts, on the server's event loop) and the inference thread
 * (inferenceWorker.ts), which holds TensorFlow.js and the loaded models. Inputs go over as one Float64Array,
 * transferred; answers come back as plain numbers and base64 activation maps.
 */
import type { BackendName, LayerActivation } from '../../shared/protocol';

/** `workerData` of the thread: the backend the server was told to use (null: choose as the trainer does). */
export interface InferenceInit {
  backend: BackendName | null;
  /** Models kept loaded. */
  cacheSize: number;
}

interface ModelRef {
  id: number;
  runId: string;
  /** The run's model folder (model.json, weights.bin). */
  modelDir: string;
  /** Without the batch dimension. */
  inputShape: number[];
  /** Row-major input values, already scaled as the model takes them. */
  values: Float64Array;
}

export type InferenceRequest =
  | (ModelRef & { type: 'sample'; source: 'pixels' | 'inputs'; activations: string[] })
  | (ModelRef & { type: 'batch'; rows: number })
  | { id: number; type: 'forget'; runId: string };

export type InferenceReply =
  | { id: number; probabilities: number[][]; activations?: LayerActivation[] }
  /** A 400 for the client (bad activation request, output not finite), or a failure to log (500). */
  | { id: number; error: { status: 400 | 500; message: string } };
