/**
 * The base of everything in the extension with a lifetime (as in the VS Code samples): what an object
 * registers (event subscriptions, timers, child objects) is disposed with it, newest first, exactly once.
 * No hand-made `subscriptions[]` arrays, and nothing to forget in `dispose()`.
 */
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private disposedFlag = false;

  protected get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Owns `value` from now on; registered after `dispose()`, it is disposed at once. */
  protected register<T extends vscode.Disposable>(value: T): T {
    if (this.disposedFlag) value.dispose();
    else this.owned.push(value);
    return value;
  }

  /** A timer cleared when this object is disposed (and when `clear` is called). */
  protected timer(ms: number, run: () => void): { clear(): void } {
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      run();
    }, ms);
    if (this.disposedFlag) clearTimeout(handle);
    else this.timers.add(handle);
    return {
      clear: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const handle of this.timers) clearTimeout(handle);
    this.timers.clear();
    while (this.owned.length > 0) this.owned.pop()?.dispose();
  }
}
