/**
 * Starting the data-parallel training threads (dataParallel.ts runs them): the bundled worker beside the
 * bundle, or the TypeScript source through tsx; and the error that says they could not start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** The workers could not start (no bundle, the backend failed in them, no answer in time): train without them. */
export class DataParallelStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataParallelStartError';
  }
}

/** A variable, not a literal, so the bundler leaves it alone (only runs from source need tsx). */
const TSX_CJS = 'tsx/cjs';

/** `trainingWorker.js` next to the bundle (dist/, or the bench bundle); from source, the TypeScript entry via tsx. */
function startWorker(): Worker {
  const bundled = join(__dirname, 'trainingWorker.js');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'dataParallelWorker.ts');
  if (!existsSync(source)) throw new DataParallelStartError(`the training worker's bundle ${bundled} is missing`);
  const boot = `require(${JSON.stringify(require.resolve(TSX_CJS))}); require(${JSON.stringify(source)});`;
  return new Worker(boot, { eval: true, execArgv: [] });
}

/** `count` workers, or none: where one cannot start, those already started are ended. */
export function startWorkers(count: number): Worker[] {
  const started: Worker[] = [];
  try {
    while (started.length < count) started.push(startWorker());
    return started;
  } catch (err) {
    // Terminating a thread that is still starting needs nothing awaited here: nothing is left to report.
    for (const worker of started) void worker.terminate();
    throw err instanceof DataParallelStartError ? err : new DataParallelStartError((err as Error).message);
  }
}
