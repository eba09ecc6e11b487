/**
 * The inference thread, seen from the server's event loop: one worker thread (inferenceWorker.ts), started on
 * the first prediction and kept, which holds TensorFlow.js and the loaded models. A prediction that runs past
 * its time ends the thread (503; the next request starts a fresh one), and one that fails or a thread that
 * dies is a 500 with the reason logged. Requests are answered in turn by the thread; its queue is bounded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../../shared/protocol';
import { httpError, type HttpError } from '../httpError';
import type { InferenceInit, InferenceReply, InferenceRequest } from './inferenceProtocol';

export interface InferenceThreadOptions {
  backend: BackendName | null;
  /** Models kept loaded. Default 4. */
  cacheSize?: number;
  /** Longest one prediction may take, in ms, before the thread is ended and 503 answered. Default 60 s. */
  timeoutMs?: number;
  /** Predictions waiting for the thread before new ones are refused with 503. Default 64. */
  maxWaiting?: number;
  log: (line: string) => void;
}

type Answer = Extract<InferenceReply, { probabilities: number[][] }>;
type Request = Exclude<InferenceRequest, { type: 'forget' }>;
/** A request as the model service sends it; the thread numbers it. */
export type InferenceCall = WithoutId<Request>;
/** `Omit` over each member of a union (a plain `Omit` would merge them). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function expose(err: HttpError): HttpError {
  err.expose = true;
  return err;
}

/** A variable, not a literal, so the bundler leaves it alone (only runs from source need tsx). */
const TSX_CJS = 'tsx/cjs';

/** `dist/inferenceWorker.js` next to the bundle; from source, the TypeScript entry loaded through tsx. */
function startWorker(init: InferenceInit): Worker {
  const bundled = join(__dirname, 'inferenceWorker.js');
  if (existsSync(bundled)) return new Worker(bundled, { workerData: init });
  const source = join(__dirname, 'inferenceWorker.ts');
  const boot = `require(${JSON.stringify(require.resolve(TSX_CJS))}); require(${JSON.stringify(source)});`;
  return new Worker(boot, { eval: true, execArgv: [], workerData: init });
}

export class InferenceThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: InferenceThreadOptions) {}

  /** The class probabilities per row (and activation maps); rejects with a 400, 503 or 500. */
  predict(call: InferenceCall): Promise<Answer> {
    if (this.closed)
      return Promise.reject(expose(httpError(503, 'the server is shutting down; retry once it is back')));
    if (this.pending.size >= (this.options.maxWaiting ?? 64))
      return Promise.reject(
        expose(
          httpError(503, `the server is busy with ${this.pending.size} other predictions; retry in a moment`, {
            headers: { 'Retry-After': '1' },
          }),
        ),
      );
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timeoutMs = this.options.timeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        // end() never rejects: it fails what waits and awaits only terminate().
        void this.end(
          expose(
            httpError(
              503,
              `the prediction took longer than ${Math.round(timeoutMs / 1000)} s and was stopped; retry, or send fewer rows`,
            ),
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      const request: Request = { ...call, id };
      worker.postMessage(request, [request.values.buffer as ArrayBuffer]);
    });
  }

  /** Drops a model from the thread's cache (its run was deleted). */
  forget(runId: string): void {
    this.worker?.postMessage({ id: 0, type: 'forget', runId } satisfies InferenceRequest);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.end(expose(httpError(503, 'the server is shutting down')));
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker({ backend: this.options.backend, cacheSize: this.options.cacheSize ?? 4 });
    // An idle thread must not keep the process alive; open requests and the server do that.
    worker.unref();
    worker.on('message', (reply: InferenceReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if ('probabilities' in reply) return waiting.resolve(reply);
      if (reply.error.status === 400) return waiting.reject(expose(httpError(400, reply.error.message)));
      this.options.log(`inference failed: ${reply.error.message}`);
      waiting.reject(new Error(`the prediction failed: ${reply.error.message.split('\n')[0]}`));
    });
    worker.on('error', (err) => {
      this.options.log(`inference thread failed: ${err.stack ?? err.message}`);
      void this.end(new Error(`the inference thread failed: ${err.message}`));
    });
    worker.on('exit', () => {
      if (this.worker === worker) void this.end(new Error('the inference thread exited'));
    });
    this.worker = worker;
    return worker;
  }

  /** Ends the thread and fails what waited for it; the next prediction starts a fresh thread. */
  private async end(reason: Error): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(reason);
      this.pending.delete(id);
    }
    if (!worker) return;
    worker.removeAllListeners('exit');
    try {
      await worker.terminate();
    } catch {
      // Already ended.
    }
  }
}
