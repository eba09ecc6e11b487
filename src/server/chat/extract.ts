/**
 * Finds the proposed schema in a model's answer. Models put it in a fenced block (```json, ```jsonc or a
 * bare ``` fence), sometimes with comments or trailing commas, sometimes with an example block before the
 * real one; a tool call or structured output carries it as plain JSON text. The last block that looks like
 * a schema wins (an answer that quotes the current schema first and then the new one proposes the latter).
 */
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { isObject } from '../../shared/isObject';
import { isOriginalGraph } from '../../shared/originalGraph';

export type Extraction =
  | { kind: 'none' }
  | { kind: 'proposal'; value: Record<string, unknown> }
  /** A schema-like block that is not valid JSON: reported to the repair round as a syntax error. */
  | { kind: 'unparsable'; text: string; error: string };

/** A fenced block: its language, its text, and its closing fence (or the end of an answer cut short). */
export const FENCE = /```[ \t]*([A-Za-z]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$(?![\s\S]))/g;

export function extractProposal(answer: string): Extraction {
  let best: Extraction = { kind: 'none' };
  for (const match of answer.matchAll(FENCE)) {
    const lang = match[1].toLowerCase();
    if (lang && lang !== 'json' && lang !== 'jsonc' && lang !== 'json5') continue;
    const candidate = parseCandidate(match[2]);
    // A parsed schema beats an unparsable block; among equals, the later one wins.
    if (candidate.kind === 'proposal' || (candidate.kind === 'unparsable' && best.kind !== 'proposal'))
      best = candidate;
  }
  return best;
}

/** JSON text from a tool call or structured output (`{ "schema": {...} }` or the schema itself). */
export function parseCandidate(text: string): Extraction {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { kind: 'none' };
  const errors: ParseError[] = [];
  const value: unknown = parse(trimmed, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !isObject(value)) {
    if (!/"layers"\s*:/.test(trimmed)) return { kind: 'none' };
    const first = errors.at(0);
    const line = first ? trimmed.slice(0, first.offset).split('\n').length : 1;
    return {
      kind: 'unparsable',
      text: trimmed,
      error: first ? `${printParseErrorCode(first.error)} at line ${line}` : 'not a JSON object',
    };
  }
  const inner = isObject(value.schema) ? value.schema : value;
  return looksLikeSchema(inner) ? { kind: 'proposal', value: inner } : { kind: 'none' };
}

/**
 * A JSON object is a schema proposal when it has layers (an example `{"units": 10}` block is not): a list
 * in our format, a map in the original canvas graph's (a model may answer in the format it was shown).
 */
function looksLikeSchema(value: Record<string, unknown>): boolean {
  return Array.isArray(value.layers) || (isObject(value.input) && 'training' in value) || isOriginalGraph(value);
}
