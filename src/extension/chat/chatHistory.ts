/**
 * Each schema file's conversation as the extension keeps it (no `vscode` here, so it is unit-tested in
 * Node): what a finished turn adds, and why a turn that finishes after "Clear" adds nothing.
 */
import type { ChatHistoryMessage } from '../../shared/protocol';

/** Messages kept per schema file (user and assistant together); the server bounds again what it forwards. */
export const MAX_HISTORY_MESSAGES = 20;

export class ChatHistories {
  private readonly histories = new Map<string, ChatHistoryMessage[]>();
  /** Bumped by every clear: a turn started before it must not write its answer back afterwards. */
  private readonly generations = new Map<string, number>();

  get(key: string): readonly ChatHistoryMessage[] {
    return this.histories.get(key) ?? [];
  }

  /** A turn starts: the returned generation goes back to `remember` when it ends. */
  begin(key: string): number {
    return this.generations.get(key) ?? 0;
  }

  /** Adds a finished turn, unless the conversation was cleared since it began; returns whether it did. */
  remember(key: string, generation: number, message: string, answer: string): boolean {
    if ((this.generations.get(key) ?? 0) !== generation) return false;
    const history = [...this.get(key), { role: 'user' as const, content: message }, { role: 'assistant' as const, content: answer }];
    this.histories.set(key, history.slice(-MAX_HISTORY_MESSAGES));
    return true;
  }

  clear(key: string): void {
    this.histories.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  clearAll(): void {
    for (const key of this.histories.keys()) this.clear(key);
  }
}

/** The server's note while it asks the model to repair a proposal (src/server/chat/turn.ts `repairNote`). */
const REPAIR_NOTE = /\n\n_The proposal has \d+ problems?; asking the model to fix (?:it|them)…_\n/g;
const FENCE = /```[ \t]*([A-Za-z0-9]*)[^\n]*\n([\s\S]*?)(\n[ \t]*```|$(?![\s\S]))/g;

/**
 * The answer as the next turn should see it. When the server repaired the proposal, the streamed text still
 * holds the first, invalid schema; the model would build on it. So the proposal block (the last JSON block
 * naming `layers`) is replaced by the schema the server finally sent, and the repair note is dropped.
 * `proposedSchema` undefined (no proposal) or not an object (unreadable) leaves the text as it was.
 */
export function answerForHistory(answer: string, proposedSchema: unknown): string {
  const text = answer.replace(REPAIR_NOTE, '');
  if (typeof proposedSchema !== 'object' || proposedSchema === null || Array.isArray(proposedSchema)) return text;
  const json = JSON.stringify(proposedSchema, null, 2);
  let last: RegExpMatchArray | undefined;
  for (const match of text.matchAll(FENCE)) {
    const lang = match[1].toLowerCase();
    if ((!lang || lang === 'json' || lang === 'jsonc' || lang === 'json5') && /"layers"\s*:/.test(match[2])) last = match;
  }
  // A proposal sent as a tool call has no block in the text: add one, so the model sees what it proposed.
  if (last?.index === undefined) return `${text}\n\n\`\`\`json\n${json}\n\`\`\``;
  return `${text.slice(0, last.index)}\`\`\`json\n${json}\n\`\`\`${text.slice(last.index + last[0].length)}`;
}
