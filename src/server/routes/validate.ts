/**
 * `POST /api/validate`: `{ schema, schemaPath? }` → `{ valid, errors, shapes, params }` (200: invalid is an
 * answer; a schema over a cap is refused, 413 for its size and 422 for the rest). Checked in the worker pool. CSV/IDX datasets are checked against their file headers, found as `/api/train` finds them.
 */
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { objectBody } from './context';
import { checkSchemaBody } from '../validation/check';
import { checkedSchemaPath } from './schemaInput';

export function validateRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.post('/api/validate', async (ctx) => {
    const body = objectBody(ctx, '{ "schema": { "version": 1, "input": { "shape": [2] }, "layers": [...] } }');
    if (body.schema === undefined) throw httpError(400, 'schema: missing; send { "schema": { … } }');
    const schemaPath = checkedSchemaPath(body.schemaPath, deps.workspace);
    const job = { body: { schema: body.schema }, schemaPath, workspaceRoot: deps.workspace.rootFor(schemaPath) };
    const result = await checkSchemaBody(job, deps.validation);
    if (result.kind !== 'analysed') throw httpError(400, 'schema: missing; send { "schema": { … } }');
    ctx.body = result.response;
  });
}
