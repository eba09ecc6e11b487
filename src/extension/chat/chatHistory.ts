/**
 * Each schema file's conversation as the extension keeps it (no `vscode` here, so it is unit-tested in
 * Node): what a finished turn adds, and why a turn that finishes after "Clear" adds nothing.
 */
import { MAX_HISTORY_MESSAGES, type ChatHistoryMessage } from '../../shared/protocol';

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
    const history = [
      ...this.get(key),
      { role: 'user' as const, content: message },
      { role: 'assistant' as const, content: answer },
    ];
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
