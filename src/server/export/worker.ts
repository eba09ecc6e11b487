/**
 * The export worker thread (exportRunner.ts starts one per export): runs the job it was started with and
 * answers once, with the answer's JSON bytes (transferred, not copied), an error the client should see (its
 * status and message: 404, 409…), or an unexpected error with its stack, which the route answers 500.
 */
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runExportJob, type ExportJob } from './exportJob';

export type ExportWorkerMessage =
  { ready: true } | { log: string } | { bytes: Uint8Array } | { status: number; message: string } | { error: string };

const post = (message: ExportWorkerMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(message, transfer);

/** ExportError and DamagedRunError carry the status the client gets; anything else is a bug or a broken file. */
function clientStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

// On Linux a priority belongs to a thread, and 0 names the calling one: this thread, not the event loop. On a
// machine with few cores, an export must leave the CPU to the event loop whenever it has a request.
try {
  setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not permitted here: the export runs at the normal priority.
}

// The runner times the job from here: loading this file (through tsx, from source) can take a second.
post({ ready: true });
runExportJob(workerData as ExportJob, (line) => post({ log: line })).then(
  (bytes) => post({ bytes }, [bytes.buffer as ArrayBuffer]),
  (err: unknown) => {
    const status = clientStatus(err);
    if (status !== undefined) post({ status, message: (err as Error).message });
    else post({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  },
);
