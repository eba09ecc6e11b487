/**
 * `POST /api/validate`: `{ schema, schemaPath? }` → `{ valid, errors, shapes, params }` (200: invalid is an
 * answer; a schema over a cap is refused, 413 for its size and 422 for the rest). The body is parsed and
 * checked in the validation worker pool (src/server/validation/). CSV/IDX datasets are checked against their
 * file headers, found as `/api/train` finds them.
 */
import { checkSchemaRequest } from '../validation/check';
import type { ApiRouter, RouteDeps } from './context';

export function validateRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.post('/api/validate', async (ctx) => {
    const { json } = await checkSchemaRequest(ctx, deps, 'validate');
    // Serialised in the worker (validation/job.ts): sent as it is.
    ctx.type = 'application/json';
    ctx.body = Buffer.from(json.buffer, json.byteOffset, json.byteLength);
  });
}
