/**
 * The model catalog and inference, with the original Stitch's shapes: `GET /api/models` (a bare array),
 * `GET /api/models/:model_id` (with its runs), `POST /api/models` (create 201 / update 200),
 * `POST /api/models/:model_id/save` (store a definition, or promote a run), `POST /api/models/save`
 * (a new model from a run, 201), `PATCH /api/models/:model_id` (rename), `DELETE /api/models/:model_id`;
 * `POST /api/infer` is in infer.ts.
 */
import type { Context } from 'koa';
import { httpError } from '../httpError';
import type { ModelChange } from '../runs/models';
import type { ApiRouter, RouteDeps } from './context';
import { objectBody } from './context';
import { checkSchemaBody } from '../validation/check';
import { inferRoutes } from './infer';

export function modelRoutes(router: ApiRouter, deps: RouteDeps): void {
  const { models } = deps;

  router.get('/api/models', async (ctx) => {
    ctx.body = await models.list(ctx.query.saved === 'true' || ctx.query.trained === 'true');
  });

  // Registered before `/api/models/:model_id/save`, which would otherwise take "save" for a model id.
  router.post('/api/models/save', async (ctx) => {
    const body = objectBody(ctx, '{ "run_id": "…", "name": "my model" }');
    const runId = idField(body.run_id, 'run_id', true);
    if (body.name === undefined) throw httpError(400, 'name: missing; send { "run_id": "…", "name": "my model" }');
    ctx.status = 201;
    const change = await modelChange(body, false, deps);
    ctx.body = await models.saveRun(runId ?? '', change);
  });

  router.post('/api/models', async (ctx) => {
    const body = objectBody(ctx, '{ "name": "my model", "architecture": { "layers": [...] }, "hyperparams": { … } }');
    const modelId = idField(body.model_id, 'model_id', false);
    const change = await modelChange(body, true, deps);
    const { created, model } = await models.upsert(modelId, change);
    ctx.status = created ? 201 : 200;
    ctx.body = model;
  });

  router.get('/api/models/:model_id', async (ctx) => {
    ctx.body = await models.get(ctx.params.model_id);
  });

  router.patch('/api/models/:model_id', async (ctx) => {
    const body = objectBody(ctx, '{ "name": "new name", "description": "…" }');
    const unknown = Object.keys(body).filter((k) => k !== 'name' && k !== 'description');
    if (unknown.length > 0)
      throw httpError(400, `${unknown.join(', ')}: not changeable here; send only "name" and/or "description"`);
    if (body.name === undefined && body.description === undefined)
      throw httpError(400, 'send "name" and/or "description" to change');
    ctx.body = await models.rename(String(ctx.params.model_id), await modelChange(body, false, deps));
  });

  router.delete('/api/models/:model_id', async (ctx) => {
    await models.remove(String(ctx.params.model_id));
    ctx.status = 204;
  });

  router.post('/api/models/:model_id/save', async (ctx) => {
    const body = bodyOrEmpty(ctx);
    const runId = idField(body.run_id, 'run_id', false);
    const change = await modelChange(body, true, deps);
    ctx.body = await models.save(ctx.params.model_id, change, runId);
  });

  inferRoutes(router, deps);
}

/** `save` may be called with no body at all. */
function bodyOrEmpty(ctx: Context): Record<string, unknown> {
  return ctx.state.body === undefined
    ? {}
    : objectBody(ctx, '{ "run_id": "…" } or { "architecture": { … }, "hyperparams": { … } }');
}

function idField(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw httpError(400, `${field}: missing; send the id as a string`);
    return undefined;
  }
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(value)) {
    throw httpError(
      400,
      `${field}: expected an id (letters, digits, "_" and "-"), got ${(JSON.stringify(value) as string | undefined)?.slice(0, 60)}`,
    );
  }
  return value;
}

/** name/description checked; architecture/hyperparams must convert to a valid schema (else 422, as training would). */
async function modelChange(
  body: Record<string, unknown>,
  withDefinition: boolean,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
): Promise<ModelChange> {
  const change: ModelChange = {};
  for (const [key, limit] of [
    ['name', 200],
    ['description', 5000],
  ] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || (key === 'name' && value.trim() === '') || value.length > limit) {
      throw httpError(
        400,
        `${key}: expected ${key === 'name' ? 'a non-empty' : 'a'} string of at most ${limit} characters, or leave it out`,
      );
    }
    change[key] = value.trim();
  }
  if (withDefinition && (body.architecture !== undefined || body.hyperparams !== undefined)) {
    if (body.architecture === undefined)
      throw httpError(400, 'architecture: missing; hyperparams are stored with an architecture');
    await checkSchemaBody({ architecture: body.architecture, hyperparams: body.hyperparams }, deps);
    change.architecture = body.architecture;
    change.hyperparams = body.hyperparams ?? null;
  }
  return change;
}
