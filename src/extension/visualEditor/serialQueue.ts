/**
 * One-at-a-time task queues by key (a document URI). The visual editor turns each intent into an edit
 * computed from the document's text at that moment; two intents handled concurrently both read the same
 * text, and VS Code then refuses the second WorkspaceEdit as stale (a dragged edge lost its reconnect, held
 * arrow keys lost moves). Chaining every edit of a document makes each one start from the text the previous
 * one produced. Pure (no `vscode`): unit-tested in Node.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before it under `key` has settled; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    // A failed task must not block the ones after it.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (empty when idle: the map does not grow with every document opened). */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }
}
