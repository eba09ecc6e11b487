/**
 * `POST /api/train` (queue a run) and `POST /api/train/:run_id/cancel`, the original Stitch's routes.
 */
import type { TrainResponse } from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId } from './context';
import { checkSchemaRequest } from '../validation/check';

export function trainRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.post('/api/train', async (ctx) => {
    // Parsed and checked in the validation worker pool (src/server/validation/): 400/413/422 with every error.
    const { schema, schemaPath } = await checkSchemaRequest(ctx, deps, 'train');
    const record = deps.runs.submit(schema, schemaPath);
    const response: TrainResponse = { run_id: record.run_id, events_url: `/api/runs/${record.run_id}/events` };
    ctx.status = 202;
    ctx.set('Location', `/api/runs/${record.run_id}`);
    ctx.body = response;
  });

  router.post('/api/train/:run_id/cancel', (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    const record = deps.runs.get(runId)!;
    if (isTerminal(record.state) || !deps.runs.cancel(runId)) {
      throw httpError(409, `run ${runId} has already ${record.state === 'succeeded' ? 'succeeded' : `ended (${record.state})`}; there is nothing to cancel`);
    }
    ctx.status = 202;
    ctx.body = { run_id: runId, state: deps.runs.get(runId)!.state };
  });
}
