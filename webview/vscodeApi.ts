/**
 * The webview side of the host channel: `acquireVsCodeApi()` once, typed `post`, typed `onMessage`, and the
 * state VS Code keeps for the webview across reloads (`getState`/`setState`, small JSON only).
 */
interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export interface HostChannel<In, Out, State> {
  post(message: Out): void;
  onMessage(handler: (message: In) => void): void;
  getState(): State | undefined;
  setState(state: State): void;
}

let api: VsCodeApi<unknown> | undefined;

export function hostChannel<In, Out, State>(): HostChannel<In, Out, State> {
  api ??= acquireVsCodeApi<unknown>();
  const vscode = api as VsCodeApi<State>;
  return {
    post: (message) => vscode.postMessage(message),
    onMessage: (handler) => window.addEventListener('message', (event: MessageEvent) => handler(event.data as In)),
    getState: () => vscode.getState(),
    setState: (state) => vscode.setState(state),
  };
}

/**
 * The compile-time exhaustiveness check of `assertNever` for a receiver that must survive a newer sender
 * (a page left open while the extension updated): at run time an unknown message is only reported.
 */
export function ignoreUnknown(value: never, what: string): void {
  console.warn(`Stitch: ignoring an unknown ${what}: ${JSON.stringify(value).slice(0, 200)}`);
}
