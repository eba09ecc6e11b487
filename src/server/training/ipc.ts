/**
 * Messages between the server (parent) and a trainer child process. The server forks one trainer per
 * run (`child_process.fork` of the trainer entry) so that training never blocks the server's event loop
 * and a crashed trainer fails only its own run.
 */
import type { Evaluation } from '../../shared/evaluation';
import type { BackendName, BatchEvent, MetricEvent, SamplePrediction } from '../../shared/protocol';
import type { StitchSchema } from '../../shared/schema/types';

/**
 * Starts a trainer. The schema is not in the message: the trainer reads it from the run's `schema.json`, which
 * the server wrote at submission; sending a schema of up to 1 MB over IPC serialised it on the server's event
 * loop (tens of ms, docs/reliability.md), and a queued run restored after a restart would have to read it there.
 */
export interface StartMessage {
  type: 'start';
  runId: string;
  /** The run's schema.json (JSON of a checked schema). */
  schemaFile: string;
  /** Folder of the schema file; relative dataset paths resolve against it (defaults to `workspaceRoot`). */
  schemaDir: string | null;
  /** Dataset files must stay inside this folder. */
  workspaceRoot: string;
  /** Where the trained model is written (tfjs `file://` format: model.json + weights.bin). */
  modelDir: string;
  /** Local cache of built-in datasets (MNIST, Fashion-MNIST). */
  dataCacheDir: string;
  /** Where built-in image datasets that are not cached nor shipped are downloaded from. */
  datasetBaseUrl: string | null;
  /** A forced backend (setting, flag or `STITCH_BACKEND`), or null to choose tensorflow → webgpu → wasm → cpu. */
  backend: BackendName | null;
  /** Threads for wasm; absent or null: `STITCH_THREADS`, else every core. */
  threads?: number | null;
}

/** What `runTraining` runs: the start message with its schema read. */
export type TrainingStart = Omit<StartMessage, 'schemaFile'> & { schema: StitchSchema };

export interface CancelMessage {
  type: 'cancel';
}

export type ParentToTrainer = StartMessage | CancelMessage;

export type TrainerToParent =
  | { type: 'backend'; backend: BackendName; threads?: number; detail?: string }
  | { type: 'running' }
  | { type: 'log'; message: string }
  | ({ type: 'batch' } & BatchEvent)
  | ({ type: 'metric' } & MetricEvent)
  | {
      type: 'succeeded';
      test: { loss: number; accuracy: number | null; samples: number };
      params: number;
      inputShape: number[];
      samples: SamplePrediction[];
    }
  | { type: 'evaluation'; evaluation: Evaluation }
  | { type: 'failed'; error: string }
  | { type: 'cancelled' };
