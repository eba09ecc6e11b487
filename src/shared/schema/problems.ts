/**
 * Problems found in a schema and the collector the checks report them to.
 *
 * A problem names its place three ways: `segments` (the JSON path as data), `path` (the same as text,
 * `layers[3].kernelSize`) and `range` (where it sits in the file's text, when the schema came from text).
 * Messages never repeat the path; they say what is wrong and what to change.
 */

import { MAX_PROBLEMS } from './limits';

export type Severity = 'error' | 'warning';

/** A JSON path as data: object keys and array indices. */
export type Segments = readonly (string | number)[];

export interface TextRange {
  offset: number;
  length: number;
}

/**
 * Stable problem codes (the extension keys quick fixes on them, tests assert them).
 * `string` is allowed too so that a later check can add a code without a breaking type change.
 */
export type ProblemCode =
  | 'json-syntax'
  | 'not-an-object'
  | 'missing-version'
  | 'unsupported-version'
  | 'unknown-property'
  | 'missing-property'
  | 'wrong-type'
  | 'out-of-range'
  | 'invalid-value'
  | 'missing-input'
  | 'invalid-input-shape'
  | 'missing-layers'
  | 'missing-id'
  | 'invalid-id'
  | 'reserved-id'
  | 'duplicate-id'
  | 'missing-type'
  | 'unknown-layer-type'
  | 'unknown-parameter'
  | 'missing-parameter'
  | 'unknown-input'
  | 'input-count'
  | 'cycle'
  | 'unreachable'
  | 'wrong-rank'
  | 'shape-mismatch'
  | 'kernel-too-large'
  | 'reshape-size'
  | 'strides-and-dilation'
  | 'untrainable'
  | 'output-rank'
  | 'output-activation'
  | 'loss-mismatch'
  | 'unknown-dataset'
  | 'dataset-shape'
  | 'invalid-path'
  | 'unknown-optimizer'
  | 'unknown-loss'
  | 'early-stopping'
  | 'schema-too-large'
  | 'too-deep'
  | 'too-many-layers'
  | 'too-many-inputs'
  | 'chain-too-deep'
  | 'over-budget'
  | 'no-training-samples'
  | 'too-many-problems';

/**
 * Problems that refuse the schema as a whole before it is analysed in full: the routes answer them with
 * 413 (size) or 422 (the rest) whatever the route, and the editor shows them like any other problem.
 */
export const LIMIT_CODES: ReadonlySet<string> = new Set([
  'schema-too-large',
  'too-deep',
  'too-many-layers',
  'too-many-inputs',
]);

export interface Problem {
  /** The JSON path as text: `layers[3].kernelSize`, `training.optimizer.learningRate`, `` for the root. */
  path: string;
  segments: (string | number)[];
  message: string;
  severity: Severity;
  /**
   * The offending token in the text (a string's range includes its quotes). For a missing key: the
   * enclosing property's key or, for a layer, its `type` value. `null` when analyzed from a parsed value.
   */
  range: TextRange | null;
  code: ProblemCode | (string & {});
  /**
   * "Did you mean": the value that should replace the text at `range` (a key or string value, without
   * quotes: a quick fix writes `JSON.stringify(suggestion)`).
   */
  suggestion?: string;
}

/** Where a path points: a property's key, or its value (the default). */
export type Target = 'key' | 'value';

/** Maps a JSON path to its text range; `null` when there is no text. */
export type Locator = (segments: Segments, target: Target) => TextRange | null;

export const noLocator: Locator = () => null;

/** `['layers', 3, 'kernelSize']` → `layers[3].kernelSize`. */
export function formatPath(segments: Segments): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** `layers[3].kernelSize: 5 is larger than …`, for logs and the CLI. */
export function formatProblem(p: Problem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

export interface ReportOptions {
  severity?: Severity;
  target?: Target;
  suggestion?: string;
}

/**
 * Collects problems; ranges are looked up only for problems actually reported (keeps big files fast). After
 * `max` problems the rest are only counted, so a schema with 100,000 mistakes answers as fast and as small
 * as one with 100; `finish()` then adds one last problem that says how many were left out.
 */
export class ProblemCollector {
  readonly problems: Problem[] = [];
  private errors = 0;
  private omittedErrors = 0;
  private omittedWarnings = 0;
  constructor(
    private readonly locate: Locator,
    private readonly max = MAX_PROBLEMS,
  ) {}

  /** True once further problems are only counted: callers skip costly "did you mean" searches then. */
  get full(): boolean {
    return this.problems.length >= this.max;
  }

  /** Problems counted but not kept. */
  get omitted(): number {
    return this.omittedErrors + this.omittedWarnings;
  }

  report(segments: Segments, code: ProblemCode, message: string, options: ReportOptions = {}): void {
    const severity = options.severity ?? 'error';
    if (severity === 'error') this.errors++;
    if (this.full) {
      if (severity === 'error') this.omittedErrors++;
      else this.omittedWarnings++;
      return;
    }
    const problem: Problem = {
      path: formatPath(segments),
      segments: [...segments],
      message,
      severity,
      range: this.locate(segments, options.target ?? 'value'),
      code,
    };
    if (options.suggestion !== undefined) problem.suggestion = options.suggestion;
    this.problems.push(problem);
  }

  warn(segments: Segments, code: ProblemCode, message: string, options: ReportOptions = {}): void {
    this.report(segments, code, message, { ...options, severity: 'warning' });
  }

  get errorCount(): number {
    return this.errors;
  }

  /** Adds the count of what was left out, as one problem at the root (an error if any left out was one). */
  finish(): void {
    if (this.omitted === 0) return;
    const what =
      this.omittedErrors > 0 && this.omittedWarnings > 0
        ? `${this.omittedErrors.toLocaleString('en-US')} errors and ${this.omittedWarnings.toLocaleString('en-US')} warnings`
        : this.omittedErrors > 0
          ? `${this.omittedErrors.toLocaleString('en-US')} errors`
          : `${this.omittedWarnings.toLocaleString('en-US')} warnings`;
    this.problems.push({
      path: '',
      segments: [],
      severity: this.omittedErrors > 0 ? 'error' : 'warning',
      range: this.locate([], 'value') === null ? null : { offset: 0, length: 1 },
      code: 'too-many-problems',
      message: `${what} more are not listed (the first ${this.max} are); fix these and check again`,
    });
  }
}
