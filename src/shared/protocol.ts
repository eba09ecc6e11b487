/**
 * The wire protocol between the server and its clients (CLI, extension, webview): HTTP bodies of the routes
 * and the SSE events (docs/server.md, "Routes" and "Event streams"), as one typed module that all three consumers import.
 */
import type { Evaluation } from './evaluation';
import type { StitchSchema } from './schema/types';

/** Every TensorFlow.js backend a run may train on, fastest first (the automatic order). */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** A problem found in a schema. `path` is the JSON path as text, e.g. `layers[3].kernelSize`. */
export interface SchemaError {
  path: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------------
// SSE: training events (`GET /api/runs/:run_id/events`)

export interface StateEvent {
  run_id: string;
  state: RunState;
  /** Present when `state` is `failed`: what happened and what to try. */
  error?: string;
  /** The TensorFlow.js backend the run trains on, once known. */
  backend?: BackendName;
  /** Present when `state` is `succeeded`: the held-out test evaluation. */
  test?: { loss: number; accuracy: number | null; samples: number };
  /** Present when `state` is `succeeded` (the original Stitch's field): `test.accuracy`. */
  test_accuracy?: number | null;
  /** Present when `state` is `succeeded` and the input is an image: a few validation samples and the answers. */
  sample_predictions?: SamplePrediction[];
}

/** One validation sample with the trained model's answer (the original Stitch's test page draws them). */
export interface SamplePrediction {
  /** The input image as rows of 0–255 values (28×28 for MNIST). */
  grid: number[][];
  label: number;
  prediction: number;
  /** The predicted class's probability, 0..1. */
  confidence: number;
}

export interface MetricEvent {
  /** The run the metric belongs to (the original Stitch's clients read it). */
  run_id?: string;
  epoch: number;
  epochs: number;
  train_loss: number;
  val_loss: number | null;
  train_accuracy: number | null;
  val_accuracy: number | null;
  learning_rate: number;
  /** Seconds this epoch took. */
  epoch_time: number;
  samples_per_sec: number;
  /** 0..1 over the whole run. */
  progress: number;
  eta_seconds: number;
}

export interface BatchEvent {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number | null;
  /** 0..1 over the whole run. */
  progress: number;
  samples_per_sec: number;
  eta_seconds: number;
}

/** After a successful run, before its final state: the model on the held-out test set (docs/server.md). */
export type EvaluationEvent = { run_id: string } & Evaluation;

export interface TrainingEventMap {
  state: StateEvent;
  metric: MetricEvent;
  batch: BatchEvent;
  evaluation: EvaluationEvent;
}

export type TrainingEventName = keyof TrainingEventMap;

/** One stored event of a run, as replayed to SSE clients. */
export type TrainingEvent = {
  [K in TrainingEventName]: { id: number; event: K; data: TrainingEventMap[K] };
}[TrainingEventName];

// ---------------------------------------------------------------------------------------------------
// SSE: chat events (`POST /api/chat`)

/** What kind of failure a chat `error` event reports, so a client can offer the fix (e.g. set a key). */
export type ChatErrorCode =
  'no-key' | 'auth' | 'rate-limit' | 'model-not-found' | 'network' | 'timeout' | 'upstream' | 'server';

/** A proposed schema with the validator's verdict (the `schema` event, and the proposal in `done`). */
export interface ChatProposal {
  /** The proposed schema object, or null when the model's block is not valid JSON even after the repair
   *  round (`valid` is then false and `errors` says why; there is nothing to apply). */
  proposedSchema: Record<string, unknown> | null;
  valid: boolean;
  errors: SchemaError[];
}

/**
 * The end of a turn. Both fields are additions to the original's empty `done` (which the original's graph
 * format still gets): a client that finds them absent keeps the streamed text as the answer.
 */
export interface ChatDone {
  /** The answer as the conversation should remember it: the model's text without the repair note, its
   *  proposal block replaced by the final (repaired) proposal. */
  answer?: string;
  /** The final proposal (the last `schema` event's), or null when the answer proposed nothing. */
  proposal?: ChatProposal | null;
}

export interface ChatEventMap {
  token: { content: string };
  schema: ChatProposal;
  done: ChatDone;
  /** `code` is an addition to the original's `{ error }`; older clients ignore it. */
  error: { error: string; code?: ChatErrorCode };
}

export type ChatEventName = keyof ChatEventMap;

/** One chat event as clients handle it: the SSE event name as `type`, beside its data. */
export type ChatStreamEvent = { [K in ChatEventName]: { type: K } & ChatEventMap[K] }[ChatEventName];

/** The request header that carries the OpenAI API key for one request (never stored or logged). */
export const API_KEY_HEADER = 'X-OpenAI-Key';

/** Most history messages a client keeps and the server forwards (user and assistant together). */
export const MAX_HISTORY_MESSAGES = 20;

/** One earlier message of the conversation about a schema file. */
export interface ChatHistoryMessage {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * `POST /api/chat`. The API key is not in the body: it travels in the `X-OpenAI-Key` header (never stored
 * or logged); without it the server uses its own OPENAI_API_KEY. Provider fields override the server's
 * environment (OPENAI_BASE_URL) and defaults (model gpt-4.1).
 */
export interface ChatRequest {
  message: string;
  currentSchema: unknown;
  history?: ChatHistoryMessage[];
  /** Absolute path of the schema file, to find its last run's metrics. */
  schemaPath?: string;
  baseUrl?: string;
  model?: string;
  temperature?: number;
}

// ---------------------------------------------------------------------------------------------------
// HTTP bodies

export interface HealthResponse {
  ok: true;
  version: string;
  backend: BackendName;
  /** The backend as one line for people, with what it runs on: `wasm, 4 threads`, `webgpu, NVIDIA H200`. */
  backend_detail?: string;
  datasets: string[];
}

export interface LayerShapeInfo {
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
}

export interface ValidateResponse {
  valid: boolean;
  errors: SchemaError[];
  /** Output shape and parameter count per layer id (for the layers whose shape could be inferred). */
  shapes: Record<string, LayerShapeInfo>;
  /** Total parameter count of the model (0 when shapes could not be inferred). */
  params: number;
}

export interface TrainRequest {
  schema?: unknown;
  /** Absolute path of the schema file: relative dataset paths are resolved against its folder. */
  schemaPath?: string;
  /** The original Stitch's body. */
  architecture?: unknown;
  hyperparams?: unknown;
}

/** `POST /api/train` → 202. The original Stitch's fields, plus `events_url` and our `model_id`. */
export interface TrainResponse {
  run_id: string;
  /** The state the run was created in; the events stream follows it from there. */
  status: 'queued';
  created_at: string;
  epochs_total: number;
  metrics: MetricEvent[];
  test_accuracy: null;
  events_url: string;
  /** The catalog model the run belongs to (a train body's `model_id`), or null. */
  model_id: string | null;
}

/** `POST /api/train/:run_id/cancel` → 202. */
export interface CancelResponse {
  run_id: string;
  status: 'cancelling';
  /** The run's state right after the request (`cancelled` at once for a queued run). */
  state: RunState;
}

export interface RunSummary {
  run_id: string;
  name: string;
  state: RunState;
  backend: BackendName | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  epochs_done: number;
  epochs: number;
  best_val_accuracy: number | null;
  test: { loss: number; accuracy: number | null; samples: number } | null;
  /** Present when the run produced a trained model (`/api/infer` accepts the run id). */
  model_id: string | null;
  schema_path: string | null;
}

export interface RunDetail extends RunSummary {
  schema: StitchSchema;
  metrics: MetricEvent[];
  /** The test-set evaluation of a succeeded run; null otherwise. */
  evaluation: Evaluation | null;
}

/**
 * `POST /api/infer` for one sample (docs/server.md): `pixels` (an image, 0..255 or 0..1) or `inputs` (numbers
 * shaped like the model input, nested or flat), and optionally the ids of layers whose outputs to return.
 */
export interface InferRequest {
  run_id?: string;
  model_id?: string;
  pixels?: unknown[];
  inputs?: unknown[];
  /** Layer ids (the schema's); at most 16 layers and 262,144 values in all. */
  activations?: string[];
}

export interface InferResponse {
  run_id: string;
  label: number;
  probabilities: number[];
  /** The class's name when the dataset has names (e.g. Fashion-MNIST's). */
  class_name?: string;
  /** Present when the request named layers: their outputs, in the order asked. */
  activations?: LayerActivation[];
}

/**
 * What one layer outputs for the sample, quantized per layer to bytes: 0..255 between its `min` and `max`
 * (all 0 when min = max), which is what a heat strip or an image grid shows and keeps the answer small.
 */
export interface LayerActivation {
  id: string;
  /** Output shape without the batch dimension, e.g. [26, 26, 32] (height, width, channels). */
  shape: number[];
  min: number;
  max: number;
  /** Row-major values, one byte each, base64. */
  base64: string;
}

/**
 * `POST /api/infer` for many samples at once (the decision boundary over a plane): each row is a flat input
 * vector like `inputs`; at most 10,000 rows and 1,000,000 values in all.
 */
export interface InferBatchRequest {
  run_id?: string;
  model_id?: string;
  batch: number[][];
}

export interface InferBatchResponse {
  run_id: string;
  /** One predicted class per row. */
  labels: number[];
  /** One probability vector per row (a single sigmoid unit answers [1 − p, p]). */
  probabilities: number[][];
}

/**
 * One model of the catalog (`GET /api/models`), in the original Stitch's shape plus our fields. A trained run
 * that is not in the catalog is served in the same shape under its run id (`GET /api/models/:run_id`).
 */
export interface ModelSummary {
  model_id: string;
  name: string;
  description: string;
  /** The definition as it was given (the original's `{ input_size, layers }`, or our schema). */
  architecture: unknown;
  hyperparams: unknown;
  created_at: string;
  /** True when the model has weights (a promoted run that succeeded). */
  trained: boolean;
  /** The folder of the weights on the server machine, or null while untrained. */
  saved_model_path: string | null;
  saved_model_exists: boolean;
  last_trained_at: string | null;
  runs_total: number;
  highest_accuracy: number | null;
  /** Ours: the run whose weights are the model's (`/api/infer` accepts it), or null. */
  run_id: string | null;
  test_accuracy: number | null;
  params: number;
  input_shape: number[];
  /** Same as `saved_model_path` (older clients read `path`). */
  path: string | null;
}

/** `GET /api/models/:model_id`: the summary and its runs, each with its metrics. */
export interface ModelDetail extends ModelSummary {
  runs: (RunSummary & { metrics: MetricEvent[] })[];
}

export interface ErrorBody {
  error: string;
}

// ---------------------------------------------------------------------------------------------------------
// Export (`POST /api/runs/:run_id/export`; docs/export.md)

export type ExportFormat = 'tfjs' | 'keras' | 'pytorch';

export interface ExportRequest {
  format: ExportFormat;
  /** pytorch: include data/dataset.safetensors (the run's samples) for train.py. Default true. */
  include_data?: boolean;
}

export interface ExportResponse {
  run_id: string;
  format: ExportFormat;
  /** Relative '/'-separated paths with their bytes in base64. */
  files: { path: string; bytes: number; base64: string }[];
}
