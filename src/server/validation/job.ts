/**
 * One schema check, as the validate and train routes need it: `{ schema }` (an object or the file's text)
 * or the original Stitch's `{ architecture, hyperparams }`, analysed with the workspace's dataset files.
 * Plain data in and out, so it runs the same inline and in a worker thread (pool.ts).
 */
import { dirname } from 'node:path';
import { convertOriginalBody } from '../../shared/original';
import type { SchemaError, ValidateResponse } from '../../shared/protocol';
import { LIMIT_CODES, analyzeSchema, analyzeSchemaText, toValidateResponse, type Analysis, type AnalyzeOptions } from '../../shared/schema';
import type { StitchSchema } from '../../shared/schema/types';
import { workspaceDatasetInfo } from '../data/datasetInfo';

export interface ValidationJob {
  /** The request body's `schema`, `architecture` and `hyperparams` (nothing else is needed). */
  body: { schema?: unknown; architecture?: unknown; hyperparams?: unknown };
  /** The checked absolute schema path, or null: relative dataset paths resolve against its folder. */
  schemaPath: string | null;
  /** The workspace folder the schema's dataset files must stay in. */
  workspaceRoot: string;
}

export type ValidationResult =
  /** The schema was analysed: valid or not, `response` says so. `schema` is set when valid. */
  | { kind: 'analysed'; response: ValidateResponse; schema: StitchSchema | null; converted: boolean }
  /** The schema is over a cap (size, depth, layers, inputs): 413 for size, else 422, at any route. */
  | { kind: 'refused'; status: 413 | 422; errors: SchemaError[] }
  /** `{ architecture, hyperparams }` could not be converted. */
  | { kind: 'unconvertible'; errors: SchemaError[] }
  /** Neither `schema` nor `architecture`. */
  | { kind: 'empty' };

function options(job: ValidationJob): AnalyzeOptions {
  return { datasetInfo: workspaceDatasetInfo(job.schemaPath ? dirname(job.schemaPath) : job.workspaceRoot, job.workspaceRoot) };
}

function analyse(job: ValidationJob): { analysis: Analysis; converted: boolean } | ValidationResult {
  const { body } = job;
  if (body.schema !== undefined) {
    const analysis = typeof body.schema === 'string' ? analyzeSchemaText(body.schema, options(job)) : analyzeSchema(body.schema, options(job));
    return { analysis, converted: false };
  }
  if (body.architecture === undefined) return { kind: 'empty' };
  const converted = convertOriginalBody(body.architecture, body.hyperparams);
  if (converted.errors.length > 0) return { kind: 'unconvertible', errors: converted.errors };
  return { analysis: analyzeSchema(converted.schema, options(job)), converted: true };
}

/** Runs one check. Never throws for any body: every outcome is a result the route turns into an answer. */
export function runValidationJob(job: ValidationJob): ValidationResult {
  const outcome = analyse(job);
  if ('kind' in outcome) return outcome;
  const { analysis, converted } = outcome;
  const limits = analysis.problems.filter((p) => LIMIT_CODES.has(p.code));
  if (limits.length > 0) {
    const status = limits.some((p) => p.code === 'schema-too-large') ? 413 : 422;
    return { kind: 'refused', status, errors: limits.map((p) => ({ path: p.path, message: p.message })) };
  }
  return { kind: 'analysed', response: toValidateResponse(analysis), schema: analysis.schema, converted };
}
