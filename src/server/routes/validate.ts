/** `POST /api/validate`: `{ schema }` → `{ valid, errors, shapes, params }` (always 200: invalid is an answer). */
import { toValidateResponse } from '../../shared/schema';
import { httpError } from '../httpError';
import type { ApiRouter } from './context';
import { objectBody } from './context';
import { analyzeBodySchema } from './schemaInput';

export function validateRoutes(router: ApiRouter): void {
  router.post('/api/validate', (ctx) => {
    const body = objectBody(ctx, '{ "schema": { "version": 1, "input": { "shape": [2] }, "layers": [...] } }');
    if (body.schema === undefined) throw httpError(400, 'schema: missing; send { "schema": { … } }');
    ctx.body = toValidateResponse(analyzeBodySchema(body));
  });
}
