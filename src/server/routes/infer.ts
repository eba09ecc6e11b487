/**
 * `POST /api/infer` (docs/server.md): one sample (`pixels` or `inputs`), optionally with the outputs of the
 * layers named in `activations`; or many samples at once (`batch`, for the decision boundary). The model is
 * a run id or a catalog model id. The body is parsed and its values checked in the validation pool's worker
 * (inferBody.ts), sizes against the model by the model service.
 */
import { readInferRequest } from '../validation/check';
import type { ApiRouter, RouteDeps } from './context';

export function inferRoutes(router: ApiRouter, deps: Pick<RouteDeps, 'models' | 'workspace' | 'validation'>): void {
  router.post('/api/infer', async (ctx) => {
    const request = await readInferRequest(ctx, deps);
    ctx.body =
      request.mode === 'batch'
        ? await deps.models.inferBatch(request.id, request)
        : await deps.models.infer(request.id, request.values, request.source, request.activations);
  });
}
