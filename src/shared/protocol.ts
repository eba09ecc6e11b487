/**
 * The wire protocol between the server and its clients (CLI, extension, webview): HTTP bodies of the routes
 * and the SSE events (docs/server.md, "Routes" and "Event streams"), as one typed module that all three consumers import.
 */
import type { StitchSchema } from './schema/types';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

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
}

export interface MetricEvent {
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

export interface TrainingEventMap {
  state: StateEvent;
  metric: MetricEvent;
  batch: BatchEvent;
}

export type TrainingEventName = keyof TrainingEventMap;

/** One stored event of a run, as replayed to SSE clients. */
export type TrainingEvent = {
  [K in TrainingEventName]: { id: number; event: K; data: TrainingEventMap[K] };
}[TrainingEventName];

// ---------------------------------------------------------------------------------------------------
// SSE: chat events (`POST /api/chat`)

/** What kind of failure a chat `error` event reports, so a client can offer the fix (e.g. set a key). */
export type ChatErrorCode = 'no-key' | 'auth' | 'rate-limit' | 'model-not-found' | 'network' | 'timeout' | 'upstream' | 'server';

export interface ChatEventMap {
  token: { content: string };
  /** `proposedSchema` is the proposed schema object, or null when the model's block is not valid JSON even
   *  after the repair round (`valid` is then false and `errors` says why; there is nothing to apply). */
  schema: { proposedSchema: Record<string, unknown> | null; valid: boolean; errors: SchemaError[] };
  done: Record<string, never>;
  /** `code` is an addition to the original's `{ error }`; older clients ignore it. */
  error: { error: string; code?: ChatErrorCode };
}

export type ChatEventName = keyof ChatEventMap;

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

export interface TrainResponse {
  run_id: string;
  events_url: string;
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
}

export interface InferResponse {
  label: number;
  probabilities: number[];
}

export interface ModelSummary {
  model_id: string;
  run_id: string;
  name: string;
  created_at: string;
  saved: boolean;
  test_accuracy: number | null;
  params: number;
  input_shape: number[];
  path: string;
}

export interface ErrorBody {
  error: string;
}
