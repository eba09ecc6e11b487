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
