/**
 * `POST /api/validate`: `{ schema, schemaPath? }` → `{ valid, errors, shapes, params }` (always 200: invalid is
 * an answer). CSV/IDX datasets are checked against their file headers, found as `/api/train` finds them.
 */
import { toValidateResponse } from '../../shared/schema';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { objectBody } from './context';
import { analyzeBodySchema, checkedSchemaPath, workspaceAnalyzeOptions } from './schemaInput';

export function validateRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.post('/api/validate', (ctx) => {
    const body = objectBody(ctx, '{ "schema": { "version": 1, "input": { "shape": [2] }, "layers": [...] } }');
    if (body.schema === undefined) throw httpError(400, 'schema: missing; send { "schema": { … } }');
    const schemaPath = checkedSchemaPath(body.schemaPath, deps.workspace);
    ctx.body = toValidateResponse(analyzeBodySchema(body, workspaceAnalyzeOptions(schemaPath, deps.workspace)));
  });
}
