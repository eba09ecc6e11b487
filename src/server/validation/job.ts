/**
 * One schema request, checked from its raw body to its answer: `POST /api/validate`'s `{ schema, schemaPath? }`
 * or `POST /api/train`'s `{ schema, schemaPath? }` / `{ architecture, hyperparams }`. The body is parsed here
 * too, so that in a worker thread (pool.ts) not even JSON.parse of a large body runs on the event loop. Plain
 * data in and out: it runs the same inline (an app without a pool) and in a worker.
 */
import { dirname } from 'node:path';
import { isObject } from '../../shared/isObject';
import { convertOriginalBody } from '../../shared/original';
import type { SchemaError } from '../../shared/protocol';
import {
  LIMIT_CODES,
  analyzeSchema,
  analyzeSchemaText,
  measureValue,
  toValidateResponse,
  type Analysis,
  type AnalyzeOptions,
} from '../../shared/schema';
import type { StitchSchema } from '../../shared/schema/types';
import { workspaceDatasetInfo } from '../data/datasetInfo';
import { httpError, type HttpError } from '../httpError';
import { bodyText, holdsMoreValues, parseJsonBody, type BodyBytes } from '../middleware/jsonBody';
import { checkedSchemaPath } from '../routes/schemaInput';
import { prepareChat, type PreparedChat } from '../chat/prepare';
import { inferTransferables, readInferBody, type InferRequest } from '../routes/inferBody';
import type { CurrentCheck } from '../chat/prompt';
import { Workspace } from '../workspace';

export type SchemaRoute = 'validate' | 'train';

export interface ValidationJob {
  /**
   * `parse`: only parse the body (the other routes' large bodies, jsonBody.ts), answered as `{ kind: 'body' }`;
   * `chat`: a `POST /api/chat` body, read and checked for the turn (chat/prepare.ts), answered as `{ kind: 'chat' }`;
   * `infer`: a `POST /api/infer` body, read and checked (routes/inferBody.ts), answered as `{ kind: 'infer' }`.
   */
  route: SchemaRoute | 'parse' | 'chat' | 'infer';
  /** The raw request body (transferred to the worker, not copied), decoded and parsed here; or `body`, already parsed. */
  bytes?: BodyBytes;
  body?: unknown;
  /** The workspace folders (schemaPath and dataset files must stay inside them). */
  roots: readonly string[];
  /** `parse`: most values the body may hold (jsonBody.ts MAX_BODY_VALUES), else a 413; unset: any number. */
  maxValues?: number;
}

export type ValidationResult =
  /**
   * `/api/validate`'s answer, serialised here: an answer can be large (a 1 MB id is named in `shapes`), and
   * cloning it back and serialising it again on the event loop cost tens of ms. The bytes are transferred.
   */
  | { kind: 'response'; valid: boolean; json: Uint8Array }
  | { kind: 'body'; body: unknown }
  | { kind: 'chat'; chat: PreparedChat }
  /** Its values in one typed array, transferred. */
  | { kind: 'infer'; request: InferRequest }
  | {
      kind: 'schema';
      schema: StitchSchema;
      schemaPath: string | null;
      /** The body's catalog `model_id`, unchecked (the route knows the catalog). */
      modelId: unknown;
      /** The original's `{ architecture, hyperparams }` when the body used that format (kept with the run). */
      original: { architecture: unknown; hyperparams: unknown } | null;
    }
  /** A train body that names a catalog model and no architecture: the route supplies the stored definition. */
  | { kind: 'definition'; modelId: unknown; body: Record<string, unknown> }
  /** A 4xx answer: bad body (400), schema over a cap (413/422), invalid schema at train (422). */
  | { kind: 'http'; status: number; message: string; errors?: SchemaError[] };

const EXAMPLES: Record<SchemaRoute, string> = {
  validate: '{ "schema": { "version": 1, "input": { "shape": [2] }, "layers": [...] } }',
  train: '{ "schema": { … }, "schemaPath": "/abs/path/model.stitch.json" }',
};

/** Lists errors in a 422's message; `prefix` tells where the paths point (our schema, or a converted body). */
function invalid(errors: SchemaError[], prefix = ''): HttpError {
  const list = errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  return httpError(422, `${prefix}the schema has ${count}: ${list}`, { errors });
}

/** The analysis of `{ schema }` or `{ architecture, hyperparams }`, after a size and depth guard. */
function analyse(body: Record<string, unknown>, options: AnalyzeOptions): { analysis: Analysis; converted: boolean } {
  const { schema, architecture, hyperparams } = body;
  // A string is measured by the core (length and nesting); the original's body before it is converted.
  const oversize = schema !== undefined ? measureValue(schema) : measureValue({ architecture, hyperparams });
  if (oversize) {
    const message = `${schema !== undefined ? 'schema' : 'architecture'}: ${oversize.message}`;
    throw httpError(oversize.code === 'schema-too-large' ? 413 : 422, message, {
      errors: [{ path: '', message: oversize.message }],
    });
  }
  if (schema !== undefined) {
    return {
      analysis: typeof schema === 'string' ? analyzeSchemaText(schema, options) : analyzeSchema(schema, options),
      converted: false,
    };
  }
  const converted = convertOriginalBody(architecture, hyperparams);
  if (converted.errors.length > 0) throw invalid(converted.errors, 'could not convert { architecture, hyperparams }: ');
  return { analysis: analyzeSchema(converted.schema, options), converted: true };
}

function check(job: ValidationJob): ValidationResult {
  const body = job.bytes !== undefined ? parseJsonBody(bodyText(job.bytes)) : job.body;
  if (job.route === 'parse') {
    if (job.maxValues !== undefined && holdsMoreValues(body, job.maxValues))
      throw httpError(
        413,
        `the request body holds more than ${job.maxValues.toLocaleString('en-US')} values; no request to this route needs that many`,
      );
    return { kind: 'body', body };
  }
  if (job.route === 'infer') return { kind: 'infer', request: readInferBody(body) };
  if (job.route === 'chat')
    return { kind: 'chat', chat: prepareChat(body, (schema) => currentCheck(schema, job.roots)) };
  if (!isObject(body)) throw httpError(400, `send a JSON object in the request body, e.g. ${EXAMPLES[job.route]}`);
  if (job.route === 'validate' && body.schema === undefined)
    throw httpError(400, 'schema: missing; send { "schema": { … } }');
  const workspace = new Workspace(job.roots);
  const schemaPath = checkedSchemaPath(body.schemaPath, workspace);
  if (
    job.route === 'train' &&
    body.schema === undefined &&
    body.architecture === undefined &&
    body.model_id !== undefined &&
    body.model_id !== null
  ) {
    return { kind: 'definition', modelId: body.model_id, body };
  }
  if (body.schema === undefined && body.architecture === undefined) {
    throw httpError(
      400,
      'send { "schema": { … } } (a Stitch schema) or { "architecture": [...], "hyperparams": {...} } (the original Stitch body)',
    );
  }
  const root = workspace.rootFor(schemaPath);
  const { analysis, converted } = analyse(body, {
    datasetInfo: workspaceDatasetInfo(schemaPath ? dirname(schemaPath) : root, root),
  });
  const limits = analysis.problems.filter((p) => LIMIT_CODES.has(p.code));
  if (limits.length > 0) {
    const errors = limits.map((p) => ({ path: p.path, message: p.message }));
    const status = limits.some((p) => p.code === 'schema-too-large') ? 413 : 422;
    throw httpError(
      status,
      `the schema is over a limit: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`,
      { errors },
    );
  }
  const response = toValidateResponse(analysis);
  if (job.route === 'validate')
    return { kind: 'response', valid: response.valid, json: new TextEncoder().encode(JSON.stringify(response)) };
  if (response.errors.length > 0 || !analysis.schema) {
    throw invalid(
      response.errors.length > 0 ? response.errors : [{ path: '', message: 'the schema is not valid' }],
      converted ? 'after converting { architecture, hyperparams }, ' : '',
    );
  }
  const original =
    body.schema === undefined ? { architecture: body.architecture, hyperparams: body.hyperparams ?? null } : null;
  return { kind: 'schema', schema: analysis.schema, schemaPath, modelId: body.model_id, original };
}

/** The validator's answer for the chat's current schema, as `POST /api/validate` gives it, or why there is none. */
function currentCheck(schema: object, roots: readonly string[]): CurrentCheck {
  const result = runValidationJob({ route: 'validate', body: { schema }, roots });
  if (result.kind === 'response') return JSON.parse(new TextDecoder().decode(result.json)) as CurrentCheck;
  return { refused: result.kind === 'http' ? result.message : 'the validator gave no answer' };
}

/** The buffers a result can hand over to the other thread without a copy. */
export function transferables(result: ValidationResult): ArrayBuffer[] {
  if (result.kind === 'response') return [result.json.buffer as ArrayBuffer];
  return result.kind === 'infer' ? inferTransferables(result.request) : [];
}

/** Runs one check. A 4xx is a result, not a throw (it crosses the thread as data); a bug still throws. */
export function runValidationJob(job: ValidationJob): ValidationResult {
  try {
    return check(job);
  } catch (err) {
    const status = (err as Partial<HttpError>).status;
    if (typeof status !== 'number' || status >= 500) throw err;
    const { errors } = err as HttpError;
    return {
      kind: 'http',
      status,
      message: (err as Error).message,
      ...(Array.isArray(errors) ? { errors: errors as SchemaError[] } : {}),
    };
  }
}
