/**
 * One `POST /api/runs/:run_id/export` as plain data, and the work its worker thread does with it
 * (exportRunner.ts): read the schema, the model files and the run's samples, build the files, and serialise
 * the whole answer. Everything that grows with the export (MNIST's samples are 47 MB before `maxSamples`, a
 * full dataset's answer tens of MB of base64) happens here, off the server's event loop.
 */
import type { ExportResponse } from '../../shared/protocol';
import { RunStore, type RunRecord } from '../runs/store';
import type { ExportFile, ExportFormat } from './exportModel';
import { exportRun } from './runExport';

export interface ExportJob {
  /** The run as the server holds it; its state was checked by the route, and is checked again here. */
  record: RunRecord;
  /** The runs folder: schema.json and model/ are read from the run's folder in it. */
  runsDir: string;
  format: ExportFormat;
  includeData: boolean;
  dataCacheDir: string;
  /** The folder the schema's dataset files must stay inside (the server's `Workspace.rootFor`). */
  workspaceRoot: string;
}

/** The route's answer, `{ run_id, format, files: [{ path, bytes, base64 }] }`, as the JSON bytes Koa would send. */
export function exportResponseBytes(runId: string, format: ExportFormat, files: readonly ExportFile[]): Uint8Array {
  const response: ExportResponse = {
    run_id: runId,
    format,
    files: files.map((f) => ({ path: f.path, bytes: f.data.byteLength, base64: f.data.toString('base64') })),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(response));
  // Its buffer is transferred to the event loop, so it must hold these bytes and nothing else.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/** Runs the export of `job` (in the worker thread) and returns the route's answer as JSON bytes. */
export async function runExportJob(job: ExportJob, log: (message: string) => void): Promise<Uint8Array> {
  const store = new RunStore(job.runsDir);
  const runId = job.record.run_id;
  const files = await exportRun(
    {
      record: (id) => (id === runId ? job.record : undefined),
      schema: (id) => store.readSchemaAsync(id),
      modelDir: (id) => store.modelDir(id),
    },
    runId,
    {
      format: job.format,
      includeData: job.includeData,
      dataCacheDir: job.dataCacheDir,
      workspaceRoot: () => job.workspaceRoot,
      log,
    },
  );
  return exportResponseBytes(runId, job.format, files);
}
