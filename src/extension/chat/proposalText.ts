/**
 * Turns a proposed schema into the new text of the schema document with the smallest change: each value
 * that differs (a key, a layer's parameter, a whole `layers` list when layers were added or removed) is
 * rewritten with jsonc-parser's `modify`, which keeps comments and the formatting around it; everything
 * equal is left byte for byte. The visual editor's `layout` survives a
 * proposal that does not mention it, minus the positions of layers the proposal removed.
 */
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parse,
  parseTree,
  type FormattingOptions,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import { detectFormatting, minimalEdit, setJsonValue } from '../../shared/jsonText';
import { isObject } from '../../shared/isObject';

export { detectFormatting };

type Json = Record<string, unknown>;

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
  // The visual editor's rule too: a one-line layer stays on one line, elsewhere the file's formatting.
  const set = (path: (string | number)[], value: unknown): void => {
    out = setJsonValue(out, path, value, formatting);
  };
  // Recurse into objects and equal-length arrays so that only the values that differ are rewritten: a
  // changed `units` replaces one number, and a one-line layer stays on one line.
  const patch = (path: (string | number)[], before: unknown, after: unknown): void => {
    if (deepEqual(before, after)) return;
    if (isObject(before) && isObject(after)) {
      for (const key of Object.keys(before)) if (!(key in after)) set([...path, key], undefined);
      for (const [key, value] of Object.entries(after)) patch([...path, key], before[key], value);
    } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
      after.forEach((value, i) => patch([...path, i], before[i], value));
    } else if (path.length === 1 && path[0] === 'layers' && Array.isArray(before) && Array.isArray(after)) {
      out = rewriteLayers(out, after, formatting);
    } else {
      set(path, after);
    }
  };
  patch([], current, target);
  return out;
}

/**
 * Layers were added or removed: the list is rebuilt element by element. A layer that stays (same id) keeps
 * its text, patched where it changed, and its comments: the rest of the line after it (`, // why`) and the
 * lines above it (`// the head`). A new layer is written in the list's style (one line per layer when the
 * file has it so), with plain separators.
 */
function rewriteLayers(text: string, layers: unknown[], formatting: FormattingOptions): string {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const list = tree && findNodeAtLocation(tree, ['layers']);
  if (!list || list.type !== 'array' || !list.children || list.children.length === 0) {
    return applyEdits(text, modify(text, ['layers'], layers, { formattingOptions: formatting }));
  }
  const items = list.children;
  const slice = (n: Node): string => text.slice(n.offset, n.offset + n.length);
  const oneLine = items.every((n) => !slice(n).includes('\n'));
  const open = text.slice(list.offset + 1, items[0].offset);
  const close = text.slice(
    items[items.length - 1].offset + items[items.length - 1].length,
    list.offset + list.length - 1,
  );
  const indent = /[^\S\r\n]*$/.exec(open)?.[0] ?? '';
  const eol = formatting.eol ?? '\n';
  // The text between two layers: up to its first line end it belongs to the layer before (the comma and
  // a comment on that line), after it to the layer after (the comments above it, its indentation).
  const between = items.slice(1).map((n, i) => text.slice(items[i].offset + items[i].length, n.offset));
  const split = (sep: string): [string, string] => {
    const nl = sep.indexOf('\n');
    return nl < 0 ? [sep, ''] : [sep.slice(0, nl + 1), sep.slice(nl + 1)];
  };
  const plain: [string, string] =
    between.length > 0 && !between[0].includes('\n')
      ? [between[0].replace(/\/\/.*$|\/\*[\s\S]*?\*\//g, '').trimEnd() + ' ', '']
      : [`,${eol}`, indent];
  const byId = new Map(
    items.flatMap((n, i) => {
      const value: unknown = parse(slice(n));
      if (!isObject(value) || typeof value.id !== 'string') return [];
      const after = i < between.length ? split(between[i])[0] : plain[0];
      const before = i > 0 ? split(between[i - 1])[1] : plain[1];
      return [[value.id, { text: slice(n), value, after, before }] as const];
    }),
  );
  const rendered = layers.map((layer) => {
    const old = isObject(layer) && typeof layer.id === 'string' ? byId.get(layer.id) : undefined;
    if (old) return { text: proposalText(old.text, layer).trimEnd(), after: old.after, before: old.before };
    const body = oneLine
      ? inline(layer)
      : JSON.stringify(layer, null, formatting.insertSpaces ? (formatting.tabSize ?? 2) : '\t').replace(
          /\n/g,
          eol + indent,
        );
    return { text: body, after: plain[0], before: plain[1] };
  });
  const body = rendered.map((r, i) => (i === 0 ? r.text : `${rendered[i - 1].after}${r.before}${r.text}`)).join('');
  return text.slice(0, list.offset + 1) + open + body + close + text.slice(list.offset + list.length - 1);
}

/** JSON on one line with a space after colons and commas: `{ "id": "drop", "rate": 0.2 }`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** The proposal plus the kept keys of the current document; the layout loses the ids that no longer exist. */
function withKeptKeys(current: Json, proposed: Json): Json {
  const target: Json = { ...proposed };
  for (const key of KEPT_WHEN_ABSENT) {
    if (!(key in proposed) && key in current) target[key] = current[key];
  }
  if (isObject(target.layout) && !('layout' in proposed)) {
    const ids = new Set(
      Array.isArray(proposed.layers) ? proposed.layers.map((l) => (isObject(l) ? l.id : undefined)) : [],
    );
    target.layout = Object.fromEntries(Object.entries(target.layout).filter(([id]) => ids.has(id)));
  }
  // `$schema` first, as files usually have it.
  if ('$schema' in target) {
    const { $schema, ...rest } = target;
    return { $schema, ...rest };
  }
  return target;
}

function format(value: unknown, formatting: FormattingOptions): string {
  const indent = formatting.insertSpaces ? (formatting.tabSize ?? 2) : '\t';
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
 * The one replacement that turns `before` into `after` (`minimalEdit` as a start/end range). Unchanged
 * text outside it is not touched, so markers, folding and the undo step stay small.
 */
export function minimalReplacement(before: string, after: string): { start: number; end: number; text: string } {
  const edit = minimalEdit(before, after) ?? { offset: 0, length: 0, content: '' };
  return { start: edit.offset, end: edit.offset + edit.length, text: edit.content };
}
