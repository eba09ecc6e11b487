/**
 * Turns a proposed schema into the new text of the schema document with the smallest change: each top-level
 * key and each layer that differs is rewritten with jsonc-parser's `modify` (which keeps comments and the
 * formatting around it), everything equal is left byte for byte. The visual editor's `layout` survives a
 * proposal that does not mention it, minus the positions of layers the proposal removed.
 */
import { applyEdits, modify, parse, type FormattingOptions, type ParseError } from 'jsonc-parser';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys a proposal usually leaves out but that the user still wants: kept when the proposal omits them. */
const KEPT_WHEN_ABSENT = new Set(['$schema', 'layout']);

/** The document's text after applying `proposed`; equal to `text` when nothing changes. */
export function proposalText(text: string, proposed: unknown): string {
  const errors: ParseError[] = [];
  const current: unknown = parse(text, errors, { allowTrailingComma: true });
  const formatting = detectFormatting(text);
  if (!isObject(proposed)) throw new Error('the proposal is not a JSON object, so it cannot replace the schema');
  // A document that is not a JSON object cannot be patched key by key: the proposal replaces it.
  if (errors.length > 0 || !isObject(current)) return format(withKeptKeys({}, proposed), formatting);

  const target = withKeptKeys(current, proposed);
  let out = text;
  const set = (path: (string | number)[], value: unknown): void => {
    out = applyEdits(out, modify(out, path, value, { formattingOptions: formatting }));
  };
  for (const key of Object.keys(current)) {
    if (!(key in target)) set([key], undefined);
  }
  for (const [key, value] of Object.entries(target)) {
    const before = current[key];
    if (deepEqual(before, value)) continue;
    if (key === 'layers' && Array.isArray(before) && Array.isArray(value) && before.length === value.length) {
      // Same number of layers: rewrite only the ones that changed, so the others keep their formatting.
      value.forEach((layer, i) => {
        if (!deepEqual(before[i], layer)) set(['layers', i], layer);
      });
    } else if (key === 'layout' && isObject(before) && isObject(value)) {
      for (const id of Object.keys(before)) if (!(id in value)) set(['layout', id], undefined);
      for (const [id, position] of Object.entries(value)) {
        if (!deepEqual(before[id], position)) set(['layout', id], position);
      }
    } else {
      set([key], value);
    }
  }
  return out;
}

/** The proposal plus the kept keys of the current document; the layout loses the ids that no longer exist. */
function withKeptKeys(current: Json, proposed: Json): Json {
  const target: Json = { ...proposed };
  for (const key of KEPT_WHEN_ABSENT) {
    if (!(key in proposed) && key in current) target[key] = current[key];
  }
  if (isObject(target.layout) && !('layout' in proposed)) {
    const ids = new Set(Array.isArray(proposed.layers) ? proposed.layers.map((l) => (isObject(l) ? l.id : undefined)) : []);
    target.layout = Object.fromEntries(Object.entries(target.layout).filter(([id]) => ids.has(id)));
  }
  // `$schema` first, as files usually have it.
  if ('$schema' in target) {
    const { $schema, ...rest } = target;
    return { $schema, ...rest };
  }
  return target;
}

/** Indentation and line ends as the document already uses them. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /\n([ \t]+)\S/.exec(text);
  if (indented?.[1].startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
  return { insertSpaces: true, tabSize: indented ? Math.min(indented[1].length, 8) : 2, eol };
}

function format(value: unknown, formatting: FormattingOptions): string {
  const indent = formatting.insertSpaces ? formatting.tabSize ?? 2 : '\t';
  return JSON.stringify(value, null, indent).replace(/\n/g, formatting.eol ?? '\n') + (formatting.eol ?? '\n');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
}

/**
 * The one replacement that turns `before` into `after`: the span between their common prefix and suffix.
 * Unchanged text outside it is not touched, so markers, folding and the undo step stay small.
 */
export function minimalReplacement(before: string, after: string): { start: number; end: number; text: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}
