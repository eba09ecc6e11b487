/** `GET /api/health`: what a client checks first (the extension polls it while the server starts). */
import { DATASET_NAMES } from '../../shared/schema/datasets';
import type { HealthResponse } from '../../shared/protocol';
import { SERVER_VERSION } from '../version';
import type { ApiRouter, RouteDeps } from './context';

export function healthRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.get('/api/health', async (ctx) => {
    const body: HealthResponse = { ok: true, version: SERVER_VERSION, backend: await deps.backend(), datasets: [...DATASET_NAMES] };
    ctx.body = body;
  });
}
