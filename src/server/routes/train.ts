/**
 * `POST /api/train` (queue a run) and `POST /api/train/:run_id/cancel`, the original Stitch's routes, with
 * its response shapes. A body may name a catalog `model_id`: the run then belongs to that model, and when the
 * body has no architecture of its own, the model's stored definition is trained.
 */
import type { CancelResponse, TrainResponse } from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId, refuseActiveElsewhere } from './context';
import { checkSchemaRequest } from '../validation/check';

export function trainRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.post('/api/train', async (ctx) => {
    // Parsed and checked in the validation worker pool (src/server/validation/): 400/413/422 with every error.
    let checked = await checkSchemaRequest(ctx, deps, 'train');
    if (checked.kind === 'definition') {
      // A catalog model's stored definition, trained with the body's own hyperparams when it has them.
      const modelId = catalogModelId(checked.modelId, deps) ?? '';
      const definition = deps.models.definition(modelId);
      if (!definition || definition.architecture === null || definition.architecture === undefined) {
        throw httpError(
          400,
          `model ${modelId} has no architecture yet; send one with the body, or store it with POST /api/models`,
        );
      }
      const body = {
        ...checked.body,
        architecture: definition.architecture,
        hyperparams: checked.body.hyperparams ?? definition.hyperparams,
      };
      checked = await checkSchemaRequest(ctx, deps, 'train', body);
      if (checked.kind === 'definition')
        throw httpError(400, 'send { "schema": { … } } or { "architecture": [...], "hyperparams": {...} }');
    }
    const { schema, schemaPath, original } = checked;
    const modelId = catalogModelId(checked.modelId, deps);
    const record = await deps.runs.submit(schema, schemaPath);
    await deps.models.recordSubmission(record.run_id, modelId, original);
    const response: TrainResponse = {
      run_id: record.run_id,
      status: 'queued',
      created_at: record.created_at,
      epochs_total: record.epochs,
      metrics: [],
      test_accuracy: null,
      events_url: `/api/runs/${record.run_id}/events`,
      model_id: modelId,
    };
    ctx.status = 202;
    ctx.set('Location', `/api/runs/${record.run_id}`);
    ctx.body = response;
  });

  router.post('/api/train/:run_id/cancel', (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    refuseActiveElsewhere(deps.runs, runId, 'cancel');
    const record = deps.runs.get(runId)!;
    if (isTerminal(record.state) || !deps.runs.cancel(runId)) {
      throw httpError(
        409,
        `run ${runId} has already ${record.state === 'succeeded' ? 'succeeded' : `ended (${record.state})`}; there is nothing to cancel`,
      );
    }
    const response: CancelResponse = { run_id: runId, status: 'cancelling', state: deps.runs.get(runId)!.state };
    ctx.status = 202;
    ctx.body = response;
  });
}

/** A train body's `model_id`: absent, or a model of the catalog (404 otherwise). */
function catalogModelId(value: unknown, deps: RouteDeps): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !deps.models.has(value)) {
    throw httpError(
      404,
      `there is no model ${JSON.stringify(value)?.slice(0, 60)}; GET /api/models lists them, POST /api/models creates one`,
    );
  }
  return value;
}
