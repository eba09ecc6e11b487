/**
 * A small pool of worker threads that check schemas (job.ts), so that a large or hostile body never holds
 * the event loop: health, event streams and other requests are answered while it is checked. Workers start
 * on first use and stay; a job that runs past its time is cut by ending its worker (a fresh one replaces
 * it), and a full queue is refused rather than grown without bound.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { httpError } from '../httpError';
import type { ValidationJob, ValidationResult } from './job';

export interface ValidationPoolOptions {
  /**
   * Worker threads. Default 2 (one check can wait on a slow file while another runs), but never all the
   * machine's cores: the event loop needs one to itself.
   */
  size?: number;
  /** Longest a check may take before its worker is ended and the request answered 503. Default 10 s. */
  timeoutMs?: number;
  /** Checks waiting for a worker before new ones are refused with 503. Default 64. */
  maxQueue?: number;
}

interface Pending {
  id: number;
  job: ValidationJob;
  resolve: (result: ValidationResult) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Set once the worker has loaded its code; a job's time starts then (loading takes a second from source). */
  ready: boolean;
  busy: (Pending & { timer: NodeJS.Timeout | undefined }) | undefined;
}

/** A 503 whose message reaches the client (5xx errors are otherwise answered with a generic text). */
function unavailable(message: string, headers?: Record<string, string>): Error {
  const err = httpError(503, message, headers ? { headers } : {});
  err.expose = true;
  return err;
}

/** A variable, not a literal, so the bundler leaves it alone (only runs from source need tsx). */
const TSX_CJS = 'tsx/cjs';

/** `dist/validationWorker.js` next to the bundle; from source, the TypeScript entry loaded through tsx. */
function startWorker(): Worker {
  const bundled = join(__dirname, 'validationWorker.js');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'worker.ts');
  const boot = `require(${JSON.stringify(require.resolve(TSX_CJS))}); require(${JSON.stringify(source)});`;
  // No inherited `--import tsx`: the require hook above is all the worker needs.
  return new Worker(boot, { eval: true, execArgv: [] });
}

export class ValidationPool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: ValidationPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? Math.min(2, availableParallelism() - 1));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxQueue = options.maxQueue ?? 64;
  }

  /** Checks a schema in a worker; rejects with 503 when busy or too slow, 500 when the worker fails. */
  run(job: ValidationJob): Promise<ValidationResult> {
    if (this.closed)
      return Promise.reject(unavailable('the server is shutting down; send the schema again once it is back'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        unavailable(`the server is busy checking ${this.queue.length} other schemas; retry in a moment`, {
          'Retry-After': '1',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every worker; checks still waiting are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(unavailable('the server is shutting down'));
    await Promise.all(
      this.slots.splice(0).map((slot) => this.retire(slot, unavailable('the server is shutting down'))),
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === undefined);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.queue.shift();
      if (!next) return;
      slot.busy = { ...next, timer: slot.ready ? this.startTimer(slot) : undefined };
      // The body's buffers move to the worker instead of being copied on the event loop (10 MB cost ~30 ms).
      slot.worker.postMessage(
        { id: next.id, job: next.job },
        next.job.bytes?.map((b) => b.buffer as ArrayBuffer),
      );
    }
  }

  private startTimer(slot: Slot): NodeJS.Timeout {
    const timer = setTimeout(() => this.timeOut(slot), this.timeoutMs);
    timer.unref();
    return timer;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), ready: false, busy: undefined };
    // An idle pool must not keep the process alive; open requests and the server do that.
    slot.worker.unref();
    slot.worker.on('message', (reply: { ready?: true; id: number; result?: ValidationResult; error?: string }) => {
      if (reply.ready) {
        slot.ready = true;
        if (slot.busy && slot.busy.timer === undefined) slot.busy.timer = this.startTimer(slot);
        return;
      }
      const done = slot.busy;
      if (done?.id !== reply.id) return;
      clearTimeout(done.timer);
      slot.busy = undefined;
      if (reply.result) done.resolve(reply.result);
      else done.reject(new Error(`the schema check failed: ${reply.error ?? 'no result'}`));
      this.dispatch();
    });
    // retire() never rejects: it fails the worker's job and awaits only terminate().
    slot.worker.on('error', (err) => void this.retire(slot, err));
    slot.worker.on('exit', () => void this.retire(slot, new Error('the validation worker exited')));
    this.slots.push(slot);
    return slot;
  }

  private timeOut(slot: Slot): void {
    const seconds = Math.round(this.timeoutMs / 100) / 10;
    // retire() never rejects (see spawn).
    void this.retire(
      slot,
      unavailable(
        `checking the schema took longer than ${seconds} s and was stopped; check that its dataset files are regular files, then retry`,
      ),
    );
  }

  /** Removes a worker (ended, failed or too slow), fails its job, and lets a fresh one take the queue. */
  private async retire(slot: Slot, reason: Error): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const busy = slot.busy;
    slot.busy = undefined;
    if (busy) {
      clearTimeout(busy.timer);
      busy.reject(reason);
    }
    slot.worker.removeAllListeners('exit');
    // Hand the queue to a fresh worker first: ending a thread stuck in a blocking call can take long.
    if (!this.closed) this.dispatch();
    try {
      await slot.worker.terminate();
    } catch {
      // Already ended: nothing left to stop.
    }
  }
}
