/**
 * The validation worker thread: answers each `{ id, job }` from the pool with `{ id, result }`. Checking a
 * schema here keeps the server's event loop free whatever the schema holds.
 */
import { parentPort } from 'node:worker_threads';
import { runValidationJob, transferables, type ValidationJob, type ValidationResult } from './job';

parentPort?.on('message', (message: { id: number; job: ValidationJob }) => {
  let reply: { id: number; result?: ValidationResult; error?: string };
  try {
    reply = { id: message.id, result: runValidationJob(message.job) };
  } catch (err) {
    // A bug in the checks, not a bad schema: the route answers 500 and logs it.
    reply = { id: message.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort?.postMessage(reply, reply.result ? transferables(reply.result) : []);
});

// The pool times a job from here: loading this file (through tsx, from source) can take a second.
parentPort?.postMessage({ ready: true, id: 0 });
