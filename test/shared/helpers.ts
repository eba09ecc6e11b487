/**
 * Helpers for the schema core tests: build schema text, find a problem and the text its range covers.
 */
import assert from 'node:assert/strict';
import { analyzeSchemaText, type Analysis, type AnalyzeOptions, type Problem } from '../../src/shared/schema/index';

export type Json = Record<string, unknown>;

/** A valid base schema (spiral MLP) with `patch` applied at the top level. */
export function schemaObject(patch: Json = {}): Json {
  return {
    version: 1,
    name: 'test',
    input: { shape: [2] },
    layers: [
      { id: 'h1', type: 'dense', units: 8, activation: 'tanh' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
    training: { dataset: 'spiral', epochs: 2 },
    ...patch,
  };
}

/** 2-space JSON text, as files are written. */
export const text = (value: unknown): string => JSON.stringify(value, null, 2);

export interface Found {
  problem: Problem;
  /** The text the problem's range covers. */
  covered: string;
  analysis: Analysis;
}

const list = (a: Analysis) => a.problems.map((p) => `${p.code} @ ${p.path}: ${p.message}`).join('\n  ');

/** Analyzes `source` and returns the problem with this code and path (failing the test when absent). */
export function findProblem(source: string, code: string, path: string, options?: AnalyzeOptions): Found {
  const analysis = analyzeSchemaText(source, options);
  const problem = analysis.problems.find((p) => p.code === code && p.path === path);
  assert.ok(problem, `expected ${code} at ${path}; got:\n  ${list(analysis)}`);
  assert.ok(problem.range, 'problems from text have a range');
  const covered = source.slice(problem.range.offset, problem.range.offset + problem.range.length);
  return { problem, covered, analysis };
}

/** Asserts the analysis has no errors and no warnings. */
export function assertClean(analysis: Analysis): void {
  assert.equal(analysis.problems.length, 0, `expected no problems; got:\n  ${list(analysis)}`);
  assert.equal(analysis.valid, true);
  assert.ok(analysis.schema);
}
