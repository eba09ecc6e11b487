/**
 * Parameter definitions: the one description of a parameter (its kind, default, bounds, enum values and
 * meaning) from which validation, the JSON Schema, the chat prompt and the webview inspector all derive.
 */
import { MAX_SHAPE_RANK } from './limits';
import { closestMatch, didYouMean } from './suggest';

/**
 * - `int`, `number`: a JSON number (an integer for `int`) within `min`/`max`.
 * - `enum`: one of `values`.
 * - `bool`: `true` or `false`.
 * - `intOrPair`: a positive integer or `[rows, cols]` (kernel sizes, strides, pool sizes).
 * - `shape`: an array of positive integers; with `allowInfer`, one entry may be -1 (reshape).
 */
export type ParamKind = 'int' | 'number' | 'enum' | 'bool' | 'intOrPair' | 'shape';

export interface ParamDef {
  name: string;
  kind: ParamKind;
  /** One line, shown in hovers, the inspector and the chat prompt. */
  description: string;
  /** The `tf.layers` default; absent when required or computed (see `defaultNote`). */
  default?: unknown;
  required?: boolean;
  /** Text for a default that depends on other parameters, e.g. "poolSize". */
  defaultNote?: string;
  min?: number;
  max?: number;
  /** `min`/`max` themselves are not allowed (e.g. learningRate > 0). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  values?: readonly string[];
  /** `shape` only: one entry may be -1, inferred from the input size. */
  allowInfer?: boolean;
}

/** What is wrong with a value and how to fix it, or `null` when it is fine. */
export interface ValueIssue {
  code: 'wrong-type' | 'out-of-range' | 'invalid-value';
  message: string;
  suggestion?: string;
}

/** JSON's name for a value's type, for messages ("got a string"). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value)}`;
    case 'number':
      return `${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function rangeText(def: ParamDef): string {
  const lo = def.min === undefined ? '' : `${def.exclusiveMin ? '>' : '≥'} ${def.min}`;
  const hi = def.max === undefined ? '' : `${def.exclusiveMax ? '<' : '≤'} ${def.max}`;
  return [lo, hi].filter((s) => s !== '').join(' and ');
}

function inRange(def: ParamDef, n: number): boolean {
  if (def.min !== undefined && (def.exclusiveMin ? n <= def.min : n < def.min)) return false;
  if (def.max !== undefined && (def.exclusiveMax ? n >= def.max : n > def.max)) return false;
  return true;
}

function checkNumber(def: ParamDef, value: unknown, integer: boolean): ValueIssue | null {
  const noun = integer ? 'an integer' : 'a number';
  const limits = rangeText(def);
  const wanted = limits === '' ? noun : `${noun} ${limits}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { code: 'wrong-type', message: `must be ${wanted}, got ${describeType(value)}` };
  }
  if (integer && !Number.isInteger(value)) {
    return { code: 'wrong-type', message: `must be ${wanted}, got ${value}; use ${Math.round(value)}` };
  }
  if (!inRange(def, value)) return { code: 'out-of-range', message: `must be ${wanted}, got ${value}` };
  return null;
}

function checkIntOrPair(def: ParamDef, value: unknown): ValueIssue | null {
  const min = def.min ?? 1;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= min;
  if (ok(value)) return null;
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return null;
  const what = `an integer ≥ ${min} or a pair [rows, cols] of them`;
  if (typeof value === 'number') return { code: 'out-of-range', message: `must be ${what}, got ${value}` };
  if (Array.isArray(value)) {
    return { code: 'wrong-type', message: `must be ${what}, got an array of ${value.length} values` };
  }
  return { code: 'wrong-type', message: `must be ${what}, got ${describeType(value)}` };
}

function checkShape(def: ParamDef, value: unknown): ValueIssue | null {
  const hint = def.allowInfer ? ' (one entry may be -1 to infer it)' : '';
  const what = `an array of positive integers${hint}, e.g. [28, 28, 1]`;
  if (!Array.isArray(value) || value.length === 0) {
    return { code: 'wrong-type', message: `must be ${what}, got ${describeType(value)}` };
  }
  if (value.length > MAX_SHAPE_RANK) {
    return {
      code: 'out-of-range',
      message: `has ${value.length} dimensions; TensorFlow.js layers take at most ${MAX_SHAPE_RANK} besides the batch`,
    };
  }
  let inferred = 0;
  for (const n of value) {
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return { code: 'wrong-type', message: `must be ${what}; ${describeType(n)} is not an integer` };
    }
    if (n === -1 && def.allowInfer) inferred++;
    else if (n < 1) return { code: 'out-of-range', message: `must be ${what}; ${n} is not allowed` };
  }
  if (inferred > 1) return { code: 'invalid-value', message: `may contain -1 only once; give the other sizes` };
  return null;
}

/** Checks a value against its definition. */
export function checkParamValue(def: ParamDef, value: unknown): ValueIssue | null {
  switch (def.kind) {
    case 'int':
      return checkNumber(def, value, true);
    case 'number':
      return checkNumber(def, value, false);
    case 'bool':
      return typeof value === 'boolean'
        ? null
        : { code: 'wrong-type', message: `must be true or false, got ${describeType(value)}` };
    case 'enum': {
      const values = def.values ?? [];
      if (typeof value === 'string' && values.includes(value)) return null;
      const list = values.map((v) => JSON.stringify(v)).join(', ');
      const suggestion = typeof value === 'string' ? closestMatch(value, values) : undefined;
      const issue: ValueIssue = {
        code: typeof value === 'string' ? 'invalid-value' : 'wrong-type',
        message: `must be one of ${list}, got ${describeType(value)}${didYouMean(suggestion)}`,
      };
      if (suggestion !== undefined) issue.suggestion = suggestion;
      return issue;
    }
    case 'intOrPair':
      return checkIntOrPair(def, value);
    case 'shape':
      return checkShape(def, value);
    default: {
      const never: never = def.kind;
      throw new Error(`unknown parameter kind ${String(never)}`);
    }
  }
}

/** `3` → `[3, 3]`; `[3, 5]` stays. For already validated `intOrPair` values. */
export function toPair(value: unknown): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1])];
  return [Number(value), Number(value)];
}
