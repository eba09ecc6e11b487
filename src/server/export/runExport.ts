/**
 * Exports a run on disk: reads its record, schema and trained model, reloads the samples it
 * trained on (same dataset, `maxSamples`, `testSamples` and seed as the trainer), and returns the files of
 * the chosen format. Used by `stitch export` and by `POST /api/runs/:run_id/export`.
 */
import { dirname } from 'node:path';
import { stat } from 'node:fs/promises';
import { loadRunDataset, type Dataset } from '../data/index';
import type { RunRecord } from '../runs/store';
import type { StitchSchema } from '../../shared/schema/types';
import { withSeededMathRandom } from '../random';
import { TRAINING_DEFAULTS } from '../../shared/schema/types';
import { buildExport, type ExportFile, type ExportFormat } from './exportModel';

export class ExportError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface RunExportOptions {
  format: ExportFormat;
  /** Include the run's samples (data/dataset.safetensors) for train.py; pytorch only. Default true. */
  includeData?: boolean;
  /** Folder of built-in dataset files (the server's data cache). */
  dataCacheDir: string;
  /** The workspace folder a schema's dataset files must stay inside. */
  workspaceRoot: (schemaPath: string | null) => string;
  log?: (message: string) => void;
}

/** Where a run's record, schema and model come from: the server's RunManager, or a runs folder read directly. */
export interface RunSource {
  record(runId: string): RunRecord | undefined;
  /** The server's source reads it asynchronously (src/server/export/exportJob.ts); the CLI's may block. */
  schema(runId: string): StitchSchema | Promise<StitchSchema>;
  modelDir(runId: string): string;
}

/** The run's record if it can be exported; an ExportError (404 unknown, 409 not succeeded) otherwise. */
export function exportableRecord(record: RunRecord | undefined, runId: string): RunRecord {
  if (!record)
    throw new ExportError(404, `there is no run ${runId}; list the runs with GET /api/runs (or the Stitch Runs view)`);
  if (record.state !== 'succeeded')
    throw new ExportError(409, `run ${runId} is ${record.state}; only a succeeded run has a trained model to export`);
  return record;
}

export async function exportRun(store: RunSource, runId: string, options: RunExportOptions): Promise<ExportFile[]> {
  const record = exportableRecord(store.record(runId), runId);
  const modelDir = store.modelDir(runId);
  if (!(await isDirectory(modelDir)))
    throw new ExportError(409, `run ${runId} has no trained model files; train the schema again`);
  const schema = await store.schema(runId);
  const withData = options.format === 'pytorch' && options.includeData !== false && schema.training !== undefined;
  const dataset = withData ? await runDataset(record, schema, options) : null;
  return buildExport({ schema, modelDir, format: options.format, dataset, runId });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // missing or unreadable: no model to export either way
  }
}

async function runDataset(record: RunRecord, schema: StitchSchema, options: RunExportOptions): Promise<Dataset> {
  const spec = schema.training;
  if (!spec) throw new ExportError(409, `run ${record.run_id}'s schema has no training section`);
  const seed = spec.seed ?? TRAINING_DEFAULTS.seed;
  const workspaceRoot = options.workspaceRoot(record.schema_path);
  // The trainer's own loading and selection (loadRunDataset), so train.py gets the samples the run trained on.
  return withSeededMathRandom(seed, () =>
    loadRunDataset(spec, {
      baseDir: record.schema_path ? dirname(record.schema_path) : workspaceRoot,
      workspaceRoot,
      cacheDir: options.dataCacheDir,
      baseUrl: process.env.STITCH_DATASET_URL ?? null,
      seed,
      log: options.log ?? (() => undefined),
    }),
  );
}
