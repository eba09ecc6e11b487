/**
 * Editing JSON text the way a person would: one value changed, the file's own layout kept. Shared by the
 * visual editor's intents (src/extension/visualEditor/schemaEdits.ts) and the chat's proposals
 * (src/extension/chat/proposalText.ts), so both write the same text for the same change.
 *
 * jsonc-parser's `modify` with formatting options re-indents what it writes, which turns a one-line layer
 * `{ "id": "c", "type": "conv2d" }` into a five-line block when a key is added; without them it writes
 * `,"padding": "same"` with no spaces. The rule here: inside a container written on one line, write one
 * line spaced like the examples (`{ "id": "d1", "units": 64 }`); elsewhere format with the indentation and
 * line ends the file already uses (detected from its parse tree).
 *
 * Pure (no Node, no DOM, no vscode).
 */
import {
  applyEdits,
  createScanner,
  findNodeAtLocation,
  modify,
  parseTree,
  type Edit,
  type FormattingOptions,
  type JSONPath,
  type Node,
} from 'jsonc-parser';

export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/**
 * The indentation and line end the document uses: the first property of the root object that starts on a
 * line of its own gives the indent unit (tabs or n spaces); CRLF when the text has any. Defaults: 2 spaces, LF.
 */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const root = parseTree(text, [], { allowTrailingComma: true });
  for (const child of root?.children ?? []) {
    const lineStart = text.lastIndexOf('\n', child.offset - 1) + 1;
    if (lineStart === 0) continue; // on the same line as the opening brace
    const indent = text.slice(lineStart, child.offset);
    if (!/^[ \t]+$/.test(indent)) continue;
    if (indent.startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
    return { insertSpaces: true, tabSize: Math.min(indent.length, 8), eol };
  }
  return { insertSpaces: true, tabSize: 2, eol };
}

/**
 * `text` with the value at `path` set to `value` (`undefined` removes it), keeping the layout around it:
 * inside a one-line container the result stays on one line; elsewhere the file's formatting is used.
 */
export function setJsonValue(
  text: string,
  path: JSONPath,
  value: unknown,
  formatting: FormattingOptions = detectFormatting(text),
): string {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const container = root && findNodeAtLocation(root, path.slice(0, -1));
  const oneLine = container ? !text.slice(container.offset, container.offset + container.length).includes('\n') : false;
  const index = path[path.length - 1];
  if (value === undefined && container?.type === 'array' && !oneLine && typeof index === 'number') {
    const removed = removeArrayItem(text, container, index);
    if (removed !== undefined) return removed;
  }
  if (value === undefined) {
    // A removal needs no formatting (formatting would reflow the whole container); keep the space after
    // an opening bracket when the first entry of a one-line container goes.
    const edits = modify(text, path, undefined, {}).map((e): Edit => {
      if (!oneLine || !container || e.offset !== container.offset + 1) return e;
      const lead = leadingBlanks(text.slice(e.offset, e.offset + e.length)).length;
      return { offset: e.offset + lead, length: e.length - lead, content: e.content };
    });
    return applyEdits(text, edits);
  }
  if (oneLine)
    return applyEdits(
      text,
      modify(text, path, value, {}).map((e) => ({ ...e, content: spaceOut(e.content) })),
    );
  return applyEdits(text, modify(text, path, value, { formattingOptions: formatting }));
}

/** The single replacement that turns `before` into `after` (their common prefix and suffix left alone); null when equal. */
export function minimalEdit(before: string, after: string): TextEdit | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end))
    end++;
  return { offset: start, length: before.length - start - end, content: after.slice(start, after.length - end) };
}

/** The whitespace that starts the line holding `offset`. */
export function indentOf(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return leadingBlanks(text.slice(start));
}

/** The spaces and tabs a text starts with (the pattern matches every text, if only with ''). */
function leadingBlanks(text: string): string {
  return /^[ \t]*/.exec(text)?.[0] ?? '';
}

/** jsonc-parser's SyntaxKind values (a const enum, which isolatedModules cannot read from a .d.ts). */
const SyntaxKind = {
  OpenBraceToken: 1,
  CloseBraceToken: 2,
  CommaToken: 5,
  ColonToken: 6,
  StringLiteral: 10,
  LineBreakTrivia: 14,
  Trivia: 15,
  EOF: 17,
} as const;

/** Compact JSON respaced as the examples write it on one line: `{ "id": "d1", "units": 64 }`, `[3, 3]`. */
export function spaceOut(json: string): string {
  const scanner = createScanner(json, false);
  let out = '';
  for (let kind: number = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    const token = scanner.getTokenValue();
    switch (kind) {
      case SyntaxKind.OpenBraceToken:
        out += '{ ';
        break;
      case SyntaxKind.CloseBraceToken:
        out = `${out.replace(/ $/, '')} }`;
        break;
      case SyntaxKind.CommaToken:
        out += ', ';
        break;
      case SyntaxKind.ColonToken:
        out += ': ';
        break;
      case SyntaxKind.Trivia:
      case SyntaxKind.LineBreakTrivia:
        break;
      case SyntaxKind.StringLiteral:
        out += JSON.stringify(token);
        break;
      default:
        out += json.slice(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength());
    }
  }
  return out.replace(/\{ \}/g, '{}');
}

/**
 * Removes item `index` of a multi-line array with the comments that belong to it and no others: the comment
 * lines above it and the rest of its own line go with it; the lines above the next item and the rest of the
 * previous item's line stay. (jsonc-parser's removal takes the next item's comments instead.) Undefined
 * where that does not apply (one item, or no such index): the caller removes it the plain way.
 */
function removeArrayItem(text: string, array: Node, index: number): string | undefined {
  const items = array.children ?? [];
  if (items.length < 2 || index < 0 || index >= items.length) return undefined;
  const end = (n: Node): number => n.offset + n.length;
  /** Where item k's lines begin: after the line end that follows the previous item (or the bracket). */
  const blockStart = (k: number): number => {
    const from = k === 0 ? array.offset + 1 : end(items[k - 1]);
    const nl = text.slice(from, items[k].offset).indexOf('\n');
    return nl < 0 ? items[k].offset : from + nl + 1;
  };
  if (index < items.length - 1) return text.slice(0, blockStart(index)) + text.slice(blockStart(index + 1));
  // The last item: the previous one loses its comma, and keeps a comment on its line.
  const previous = end(items[index - 1]);
  const between = text.slice(previous, items[index].offset);
  const nl = between.indexOf('\n');
  if (nl < 0) return undefined;
  const rest = between.slice(0, nl).replace(/^\s*,/, '').trimEnd();
  return text.slice(0, previous) + rest + text.slice(end(items[index]));
}
