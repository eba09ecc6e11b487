/**
 * Text ranges for JSON paths, from jsonc-parser's syntax tree, and the syntax errors of the text.
 */
import { findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Locator, Segments, TextRange } from './problems';

const rangeOf = (node: Node): TextRange => ({ offset: node.offset, length: node.length });

/**
 * A locator over a parsed tree. A path that exists gives its value (or, with target 'key', its key). A
 * missing key points at the nearest thing that exists: a layer's `type` value when the key was a layer's,
 * else the key of the enclosing property, else the enclosing value.
 */
export function treeLocator(root: Node | undefined): Locator {
  if (!root) return () => null;
  return (segments: Segments, target) => {
    const node = findNodeAtLocation(root, segments as (string | number)[]);
    if (node) {
      if (target === 'key' && node.parent?.type === 'property' && node.parent.children)
        return rangeOf(node.parent.children[0]);
      return rangeOf(node);
    }
    for (let n = segments.length - 1; n >= 0; n--) {
      const parentPath = segments.slice(0, n);
      const parent = n === 0 ? root : findNodeAtLocation(root, parentPath);
      if (!parent) continue;
      if (parent.type === 'object' && parentPath.length === 2 && parentPath[0] === 'layers') {
        const type = findNodeAtLocation(parent, ['type']);
        if (type) return rangeOf(type);
      }
      if (parent.parent?.type === 'property' && parent.parent.children) return rangeOf(parent.parent.children[0]);
      return rangeOf(parent);
    }
    return rangeOf(root);
  };
}

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol:
    'unexpected character; JSON values are objects, arrays, strings in double quotes, numbers, true, false or null',
  InvalidNumberFormat: 'invalid number; write numbers like 3, 0.5 or 1e-3',
  PropertyNameExpected: 'expected a key in double quotes, e.g. "units"',
  ValueExpected: 'expected a value here',
  ColonExpected: 'expected ":" between the key and its value',
  CommaExpected: 'expected "," between items',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected text after the end of the schema object',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unclosed comment; end it with */',
  UnexpectedEndOfString: 'unclosed string; end it with "',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character in a string',
  InvalidCharacter: 'invalid character in a string (control characters must be escaped)',
};

export function syntaxMessage(error: ParseError): string {
  const name = printParseErrorCode(error.error);
  return `JSON syntax: ${SYNTAX_MESSAGES[name] ?? name}`;
}
