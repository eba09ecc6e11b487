/**
 * The model catalog and inference: `GET /api/models`, `GET /api/models/:model_id`,
 * `POST /api/models/:model_id/save` and `POST /api/infer`.
 */
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { objectBody } from './context';
import { modelCall } from './runs';
import { ModelRequestError } from '../runs/models';

export function modelRoutes(router: ApiRouter, deps: RouteDeps): void {
  const { models } = deps;

  router.get('/api/models', (ctx) => {
    const all = models.list();
    ctx.body = { models: ctx.query.saved === 'true' ? all.filter((m) => m.saved) : all };
  });

  router.get('/api/models/:model_id', (ctx) => {
    ctx.body = modelCall(() => models.get(ctx.params.model_id));
  });

  router.post('/api/models/:model_id/save', (ctx) => {
    const body: unknown = ctx.state.body ?? {};
    const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 200)) {
      throw httpError(400, 'name: expected a non-empty string of at most 200 characters, or leave it out');
    }
    ctx.body = modelCall(() => models.save(ctx.params.model_id, name?.trim()));
  });

  router.post('/api/infer', async (ctx) => {
    const body = objectBody(ctx, '{ "run_id": "…", "pixels": [784 numbers] }');
    const id = body.run_id ?? body.model_id;
    if (typeof id !== 'string' || id === '') throw httpError(400, 'run_id: missing; send { "run_id": "…", "pixels": [...] } or { "model_id": "…", "inputs": [...] }');
    const source = body.pixels !== undefined ? 'pixels' : body.inputs !== undefined ? 'inputs' : undefined;
    if (!source) throw httpError(400, 'send the sample as "pixels" (784 numbers for MNIST) or "inputs" (numbers shaped like the model input)');
    const values = flattenNumbers(body[source]);
    if (typeof values === 'string') throw httpError(400, `${source}: ${values}`);
    try {
      ctx.body = await models.infer(id, values, source);
    } catch (err) {
      if (err instanceof ModelRequestError) throw httpError(err.status, err.message);
      throw err;
    }
  });
}

/** Nested arrays of finite numbers → one flat list; or a message saying what is wrong. */
function flattenNumbers(value: unknown): number[] | string {
  const out: number[] = [];
  const visit = (v: unknown, depth: number): string | undefined => {
    if (depth > 8) return 'nested too deeply';
    if (Array.isArray(v)) {
      for (const item of v) {
        const problem = visit(item, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) return `expected numbers, found ${JSON.stringify(v)?.slice(0, 40)}`;
    out.push(v);
    return undefined;
  };
  if (!Array.isArray(value)) return 'expected an array of numbers';
  return visit(value, 0) ?? out;
}
