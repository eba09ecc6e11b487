/**
 * What every route module gets, and the small edge checks they share. Routes stay thin: read and check
 * the request here, call the run manager or the model service, answer.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { BackendName } from '../../shared/protocol';
import { httpError } from '../httpError';
import type { RunManager } from '../runs/manager';
import type { ModelService } from '../runs/models';
import { RunStore } from '../runs/store';
import type { ValidationPool } from '../validation/pool';
import type { Workspace } from '../workspace';

export interface RouteDeps {
  runs: RunManager;
  models: ModelService;
  /** The TensorFlow.js backend this server trains with (determined once, cached). */
  backend: () => Promise<BackendName>;
  /** Dataset files and schema paths must stay inside these folders. */
  workspace: Workspace;
  /** Interval of `: keep-alive` comments on SSE streams, in ms. */
  keepAliveMs?: number;
  log: (line: string) => void;
  /** Worker threads that check schemas off the event loop; without it, checks run inline. */
  validation?: ValidationPool;
}

export type ApiRouter = Router;

/** The JSON body as an object, or a 400 that says what to send. */
export function objectBody(ctx: Context, example: string): Record<string, unknown> {
  const body: unknown = ctx.state.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw httpError(400, `send a JSON object in the request body, e.g. ${example}`);
  }
  return body as Record<string, unknown>;
}

/** The `:run_id` parameter of a known run, or a 404 that says how to find one. */
/** 409 for a run that another server sharing the runs folder trains (manager.ts `activeElsewhere`). */
export function refuseActiveElsewhere(runs: RunManager, runId: string, what: string): void {
  if (runs.activeElsewhere(runId))
    throw httpError(
      409,
      `run ${runId} is training in another Stitch server that shares this runs folder (another VS Code window); ${what} it there`,
    );
}

export function knownRunId(ctx: Context, runs: RunManager, param = 'run_id'): string {
  const runId = (ctx.params as Partial<Record<string, string>>)[param] ?? '';
  if (!RunStore.isRunId(runId) || !runs.get(runId)) {
    throw httpError(404, `there is no run "${runId}"; GET /api/runs lists the runs`);
  }
  return runId;
}
