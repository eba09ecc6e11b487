/** `GET /api/health`: what a client checks first (the extension polls it while the server starts). */
import { DATASET_NAMES } from '../../shared/schema/datasets';
import type { HealthResponse } from '../../shared/protocol';
import { currentBackend } from '../training/backendInfo';
import { httpError } from '../httpError';
import { SERVER_VERSION } from '../version';
import type { ApiRouter, RouteDeps } from './context';

export function healthRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.get('/api/health', async (ctx) => {
    let backend: HealthResponse['backend'];
    try {
      backend = await deps.backend();
    } catch (err) {
      // The server is up but cannot train (e.g. a forced backend that does not load): say why, as a 503.
      throw httpError(503, `the server cannot train: ${(err as Error).message}`, { expose: true });
    }
    const info = currentBackend();
    const body: HealthResponse = {
      ok: true,
      version: SERVER_VERSION,
      backend,
      // e.g. "wasm, 4 threads" or "webgpu, NVIDIA H200" (the probe above activated it in this process)
      backend_detail: info?.backend === backend ? info.detail : backend,
      datasets: [...DATASET_NAMES],
    };
    ctx.body = body;
  });
}
