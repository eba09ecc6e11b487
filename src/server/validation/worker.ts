/**
 * The validation worker thread: answers each `{ id, job }` from the pool with `{ id, result }`. Checking a
 * schema here keeps the server's event loop free whatever the schema holds.
 */
import { constants, setPriority } from 'node:os';
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

// On Linux a priority belongs to a thread, and 0 names the calling one: this thread, not the event loop. On a
// machine with few cores, a long check must leave the CPU to the event loop whenever it has a request.
try {
  setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not permitted here: checks run at the normal priority.
}

// The pool times a job from here: loading this file (through tsx, from source) can take a second.
parentPort?.postMessage({ ready: true, id: 0 });
