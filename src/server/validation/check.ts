/**
 * The routes' entry to schema checking: a cheap size and depth guard on the event loop (so nothing too large
 * or too deep is ever copied to a worker, converted or parsed further), then the check itself in the worker
 * pool, or inline when the app was created without one (tests of the bare app).
 */
import { measureValue } from '../../shared/schema';
import { httpError } from '../httpError';
import { runValidationJob, type ValidationJob, type ValidationResult } from './job';
import type { ValidationPool } from './pool';

/**
 * Checks `{ schema }` or `{ architecture, hyperparams }`. Throws 413 (too large) or 422 (too deep, too many
 * layers or inputs) for a schema over a cap, 503 when the pool is busy or the check too slow.
 */
export async function checkSchemaBody(job: ValidationJob, pool: ValidationPool | undefined): Promise<ValidationResult> {
  const { schema, architecture, hyperparams } = job.body;
  // A string is measured (length and nesting) by the core, in the worker; here only its length counts.
  const oversize = schema !== undefined ? measureValue(schema) : measureValue({ architecture, hyperparams });
  if (oversize) {
    const where = schema !== undefined ? 'schema' : 'architecture';
    throw httpError(oversize.code === 'schema-too-large' ? 413 : 422, `${where}: ${oversize.message}`, { errors: [{ path: '', message: oversize.message }] });
  }
  const body = schema !== undefined ? { schema } : { architecture, hyperparams };
  const result = pool ? await pool.run({ ...job, body }) : runValidationJob({ ...job, body });
  if (result.kind === 'refused') {
    const list = result.errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
    throw httpError(result.status, `the schema is over a limit: ${list}`, { errors: result.errors });
  }
  return result;
}
