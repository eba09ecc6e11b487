/**
 * Size and nesting of a schema, measured before anything else reads it. Both walks are iterative and stop
 * at the first cap they pass, so a hostile body (megabytes of `[[[[…`, or a value nested a million deep)
 * costs one linear scan and never a stack overflow in jsonc-parser's recursive parser or a recursive walker
 * further on.
 */
import { MAX_JSON_DEPTH, MAX_SCHEMA_TEXT_LENGTH } from './limits';

export interface Oversize {
  code: 'schema-too-large' | 'too-deep';
  message: string;
  /** Where the text passed the cap (text only). */
  offset?: number;
}

const tooLarge = (length: string): Oversize => ({
  code: 'schema-too-large',
  message: `the schema is ${length} long, over the limit of ${MAX_SCHEMA_TEXT_LENGTH.toLocaleString('en-US')} characters; a schema describes layers, not data: remove what is not part of the model`,
});

const tooDeep = (offset?: number): Oversize => ({
  code: 'too-deep',
  message: `objects and arrays are nested more than ${MAX_JSON_DEPTH} deep; a schema needs only a few levels (layers → layer → inputs): remove the nesting`,
  ...(offset === undefined ? {} : { offset }),
});

/**
 * Checks text for length and for `{`/`[` nesting, skipping strings and comments. Unbalanced brackets are
 * left to the parser, which reports them as syntax errors.
 */
export function measureText(text: string): Oversize | undefined {
  if (text.length > MAX_SCHEMA_TEXT_LENGTH) return tooLarge(`${text.length.toLocaleString('en-US')} characters`);
  const offset = nestingOffset(text, MAX_JSON_DEPTH);
  return offset === undefined ? undefined : tooDeep(offset);
}

/**
 * Where `{`/`[` nesting first passes `max` in JSON (or JSONC) text, or undefined; strings and comments are
 * skipped. One pass, no recursion: also what the server checks a request body with before JSON.parse, which
 * takes seconds on a body of a million `[`.
 */
export function nestingOffset(text: string, max: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22 || s === 0x0a) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/**
 * Checks a parsed value: nesting depth, and its length as JSON text (estimated from its strings, numbers
 * and punctuation, without serializing it). Each container is visited once.
 */
export function measureValue(value: unknown): Oversize | undefined {
  let length = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    const v = item.value;
    if (typeof v === 'string') length += v.length + 2;
    else if (typeof v === 'number') length += 8;
    else if (typeof v === 'object' && v !== null) {
      if (item.depth >= MAX_JSON_DEPTH) return tooDeep();
      length += 2;
      if (Array.isArray(v)) {
        for (const child of v as unknown[]) {
          if (++length > MAX_SCHEMA_TEXT_LENGTH) break;
          stack.push({ value: child, depth: item.depth + 1 });
        }
      } else {
        for (const key of Object.keys(v)) {
          length += key.length + 4;
          if (length > MAX_SCHEMA_TEXT_LENGTH) break;
          stack.push({ value: (v as Record<string, unknown>)[key], depth: item.depth + 1 });
        }
      }
    } else length += 5;
    if (length > MAX_SCHEMA_TEXT_LENGTH) return tooLarge(`about ${length.toLocaleString('en-US')} characters as JSON`);
  }
  return undefined;
}
