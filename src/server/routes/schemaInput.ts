/**
 * Turns a request's schema (ours, as an object or as JSON text, or the original Stitch's
 * `{ architecture, hyperparams }`) into a checked `StitchSchema`, or throws 400/422 with every problem.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { convertOriginalBody } from '../../shared/original';
import type { SchemaError } from '../../shared/protocol';
import { analyzeSchema, analyzeSchemaText, type Analysis, type AnalyzeOptions } from '../../shared/schema';
import type { StitchSchema } from '../../shared/schema/types';
import { workspaceDatasetInfo } from '../data/datasetInfo';
import type { Workspace } from '../workspace';
import { httpError } from '../httpError';

/**
 * Analyzes `{ schema }`: an object, or the file's text as an editor holds it (comments allowed; syntax
 * errors become problems like any other).
 */
export function analyzeBodySchema(body: Record<string, unknown>, options: AnalyzeOptions = {}): Analysis {
  return typeof body.schema === 'string' ? analyzeSchemaText(body.schema, options) : analyzeSchema(body.schema, options);
}

/**
 * Analysis options that let the core check CSV/IDX datasets too: their sample shape is read from the file's
 * header, relative to the schema's folder (`schemaPath`, already checked) or else the workspace root.
 */
export function workspaceAnalyzeOptions(schemaPath: string | null, workspace: Workspace): AnalyzeOptions {
  const root = workspace.rootFor(schemaPath);
  return { datasetInfo: workspaceDatasetInfo(schemaPath ? dirname(schemaPath) : root, root) };
}

/** Throws 422 listing every error; `prefix` tells where the paths point (our schema, or a converted body). */
function invalid(errors: SchemaError[], prefix = ''): Error {
  const list = errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  return httpError(422, `${prefix}the schema has ${count}: ${list}`, { errors });
}

/** A valid schema from `{ schema }` or `{ architecture, hyperparams }`, or a 400/422 error. */
export function checkedSchema(body: Record<string, unknown>, options: AnalyzeOptions = {}): StitchSchema {
  let analysis: Analysis;
  let prefix = '';
  if (body.schema !== undefined) {
    analysis = analyzeBodySchema(body, options);
  } else if (body.architecture !== undefined) {
    const converted = convertOriginalBody(body.architecture, body.hyperparams);
    if (converted.errors.length > 0) throw invalid(converted.errors, 'could not convert { architecture, hyperparams }: ');
    analysis = analyzeSchema(converted.schema, options);
    prefix = 'after converting { architecture, hyperparams }, ';
  } else {
    throw httpError(400, 'send { "schema": { … } } (a Stitch schema) or { "architecture": [...], "hyperparams": {...} } (the original Stitch body)');
  }
  const errors = analysis.problems.filter((p) => p.severity === 'error').map((p) => ({ path: p.path, message: p.message }));
  if (errors.length > 0 || !analysis.schema) {
    throw invalid(errors.length > 0 ? errors : [{ path: '', message: 'the schema is not valid' }], prefix);
  }
  return analysis.schema;
}

/** `schemaPath`: absolute and inside the workspace (relative dataset paths resolve against its folder). */
export function checkedSchemaPath(raw: unknown, workspace: Workspace): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string' || !isAbsolute(raw)) {
    throw httpError(400, 'schemaPath: expected the absolute path of the schema file, or leave it out');
  }
  const path = resolve(raw);
  if (!workspace.rootOf(path)) {
    throw httpError(400, `schemaPath: ${path} is outside the workspace (${workspace.describe()}); open the schema from inside the workspace, or start the server with --workspace`);
  }
  return path;
}
