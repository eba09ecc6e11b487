/**
 * The answer a client keeps as the conversation's history (sent in `done`, docs/chat.md). When the server
 * repaired the proposal, the model's text still holds the first, invalid schema, and the next turn would
 * build on it; so the proposal block (the last JSON block naming `layers`) is replaced by the schema the
 * server finally sent. The repair note is never part of it: it is streamed as a token, not kept.
 */
import { isObject } from '../../shared/isObject';
import { FENCE } from './extract';

/** `proposedSchema` undefined (no proposal) or not an object (unreadable) leaves the text as it was. */
export function answerForHistory(answer: string, proposedSchema: unknown): string {
  if (!isObject(proposedSchema)) return answer;
  const json = JSON.stringify(proposedSchema, null, 2);
  let last: RegExpMatchArray | undefined;
  for (const match of answer.matchAll(FENCE)) {
    const lang = (match.at(1) ?? '').toLowerCase();
    if ((!lang || lang === 'json' || lang === 'jsonc' || lang === 'json5') && /"layers"\s*:/.test(match.at(2) ?? ''))
      last = match;
  }
  // A proposal sent as a tool call has no block in the text: add one, so the model sees what it proposed.
  if (last?.index === undefined) return `${answer}\n\n\`\`\`json\n${json}\n\`\`\``;
  return `${answer.slice(0, last.index)}\`\`\`json\n${json}\n\`\`\`${answer.slice(last.index + last[0].length)}`;
}
