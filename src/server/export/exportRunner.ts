/**
 * Runs each `POST /api/runs/:run_id/export` in a worker thread of its own (worker.ts), so that reading a run's
 * samples, building the files and serialising tens of MB of base64 never hold the event loop: health, event
 * streams and every other request are answered meanwhile. Exports are rare and memory-hungry (MNIST's samples
 * are loaded whole), so one runs at a time, a few wait, and each worker ends with its export, freeing its
 * memory. A worker that runs past its time is ended (503); one that fails or dies is a 500 with its reason.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { httpError, type HttpError } from '../httpError';
import type { ExportJob } from './exportJob';
import type { ExportWorkerMessage } from './worker';

export interface ExportRunnerOptions {
  /** Longest an export may take (from its worker's start) before the worker is ended and 503 answered. Default 120 s. */
  timeoutMs?: number;
  /** Exports waiting for the running one before new ones are refused with 503. Default 4. */
  maxWaiting?: number;
  log?: (line: string) => void;
}

interface Pending {
  job: ExportJob;
  resolve: (bytes: Buffer) => void;
  reject: (err: Error) => void;
}

/** A 503 whose message reaches the client (5xx errors are otherwise answered with a generic text). */
function unavailable(message: string): HttpError {
  const err = httpError(503, message, { headers: { 'Retry-After': '5' } });
  err.expose = true;
  return err;
}

/** A variable, not a literal, so the bundler leaves it alone (only runs from source need tsx). */
const TSX_CJS = 'tsx/cjs';

/**
 * How to start a worker: `dist/exportWorker.js` next to the bundle; from source, the TypeScript entry loaded
 * through tsx (as src/server/validation/pool.ts starts its workers). Decided once, when the server starts.
 */
function workerStarter(): (job: ExportJob) => Worker {
  const bundled = join(__dirname, 'exportWorker.js');
  if (existsSync(bundled)) return (job) => new Worker(bundled, { workerData: job });
  const source = join(__dirname, 'worker.ts');
  const boot = `require(${JSON.stringify(require.resolve(TSX_CJS))}); require(${JSON.stringify(source)});`;
  // No inherited `--import tsx`: the require hook above is all the worker needs.
  return (job) => new Worker(boot, { eval: true, execArgv: [], workerData: job });
}

export class ExportRunner {
  private readonly timeoutMs: number;
  private readonly maxWaiting: number;
  private readonly log: (line: string) => void;
  private readonly startWorker = workerStarter();
  private readonly waiting: Pending[] = [];
  private running: Worker | undefined;
  private closed = false;

  constructor(options: ExportRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxWaiting = options.maxWaiting ?? 4;
    this.log = options.log ?? (() => undefined);
  }

  /** The export's answer as JSON bytes; rejects with its 4xx, a 503 (busy, too slow) or a 500 (failed). */
  run(job: ExportJob): Promise<Buffer> {
    if (this.closed) return Promise.reject(unavailable('the server is shutting down; export the run once it is back'));
    if (this.waiting.length >= this.maxWaiting)
      return Promise.reject(
        unavailable(`the server is busy with ${this.waiting.length + 1} other exports; retry later`),
      );
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.next();
    });
  }

  /** Ends the running export's worker; waiting exports are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(unavailable('the server is shutting down'));
    await this.running?.terminate();
  }

  private next(): void {
    if (this.running || this.closed) return;
    const pending = this.waiting.shift();
    if (pending) this.start(pending);
  }

  private start({ job, resolve, reject }: Pending): void {
    const worker = this.startWorker(job);
    const runId = job.record.run_id;
    this.running = worker;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    /** Settles the request once, ends the worker, and starts the next export. */
    const finish = (outcome: { bytes: Buffer } | { err: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.removeAllListeners('exit');
      // terminate() settles once the thread has stopped; nothing is waiting on it.
      worker.terminate().catch(() => undefined);
      this.running = undefined;
      if ('bytes' in outcome) resolve(outcome.bytes);
      else reject(outcome.err);
      this.next();
    };
    worker.on('message', (message: ExportWorkerMessage) => {
      if ('ready' in message) {
        timer = setTimeout(() => {
          const seconds = Math.round(this.timeoutMs / 100) / 10;
          finish({ err: unavailable(`exporting run ${runId} took longer than ${seconds} s and was stopped; retry`) });
        }, this.timeoutMs);
      } else if ('log' in message) this.log(`export ${runId}: ${message.log}`);
      else if ('bytes' in message) {
        const { buffer, byteOffset, byteLength } = message.bytes;
        finish({ bytes: Buffer.from(buffer, byteOffset, byteLength) });
      } else if ('status' in message) finish({ err: httpError(message.status, message.message) });
      else finish({ err: new Error(`the export of run ${runId} failed in its worker: ${message.error}`) });
    });
    worker.on('error', (err) => {
      finish({ err: new Error(`the export worker of run ${runId} failed: ${err.stack ?? err.message}`) });
    });
    worker.on('exit', (code) => {
      if (this.closed) finish({ err: unavailable('the server is shutting down; export the run once it is back') });
      else finish({ err: new Error(`the export worker of run ${runId} stopped (exit code ${code}) before answering`) });
    });
  }
}
