/**
 * Converting between a parameter's JSON value and what its inspector control shows, by the registry's
 * parameter kind. Pure (no DOM), so it is unit-tested; the inspector only wires controls to these.
 */
import type { ParamDef } from '../../src/shared/schema/params';

/** What a control should show for a value (`""` for absent). */
export function displayValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * The JSON value for what was typed into a control; `undefined` (remove the key, i.e. use the default)
 * for an empty field. Bounds are not enforced here: an out-of-range value is written and the schema core
 * flags it on the node, like a value typed in the text editor.
 */
export function parseParamInput(def: Pick<ParamDef, 'kind' | 'name'>, text: string): Parsed {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const numbers = () =>
    t
      .split(/[\s,×x]+/)
      .filter(Boolean)
      .map(Number);
  switch (def.kind) {
    case 'int':
    case 'number': {
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, error: `${def.name} must be a number` };
      if (def.kind === 'int' && !Number.isInteger(n)) return { ok: false, error: `${def.name} must be a whole number` };
      return { ok: true, value: n };
    }
    case 'bool':
      return { ok: true, value: t === 'true' };
    case 'enum':
      return { ok: true, value: t };
    case 'intOrPair': {
      const parts = numbers();
      if (parts.length < 1 || parts.length > 2 || parts.some((n) => !Number.isInteger(n))) {
        return { ok: false, error: `${def.name} takes n or "rows, cols" (whole numbers)` };
      }
      return { ok: true, value: parts.length === 1 ? parts[0] : parts };
    }
    case 'shape': {
      const parts = numbers();
      if (parts.length === 0 || parts.some((n) => !Number.isInteger(n))) {
        return { ok: false, error: `${def.name} takes whole numbers separated by commas, e.g. "7, 7, 64"` };
      }
      return { ok: true, value: parts };
    }
    default: {
      const unknown: never = def.kind;
      return { ok: false, error: `unknown parameter kind ${String(unknown)}` };
    }
  }
}

/** `≥ 1`, `0 … 1`, `> 0`: the bounds as a hint next to a number field. */
export function boundsHint(def: ParamDef): string {
  const lo = def.min === undefined ? '' : `${def.exclusiveMin ? '>' : '≥'} ${def.min}`;
  const hi = def.max === undefined ? '' : `${def.exclusiveMax ? '<' : '≤'} ${def.max}`;
  return [lo, hi].filter(Boolean).join(', ');
}
