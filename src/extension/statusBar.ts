/**
 * The status bar item: one `switch` over the server state, overlaid with the progress of the run this
 * window is following. Clicking it shows the server log (or the run's notification while training).
 */
import * as vscode from 'vscode';
import type { ServerController, ServerState } from './serverController';
import type { ActiveRun, RunTracker } from './runTracker';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('stitch.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[];

  static register(server: ServerController, tracker: RunTracker): StatusBar {
    return new StatusBar(server, tracker);
  }

  private constructor(
    private readonly server: ServerController,
    private readonly tracker: RunTracker,
  ) {
    this.item.name = 'Stitch';
    this.subscriptions = [server.onDidChangeState(() => this.render()), tracker.onDidChange(() => this.render())];
    this.render();
    this.item.show();
  }

  /** The text currently shown (tests read it). */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const run = [...this.tracker.active.values()][0];
    const state = this.server.state;
    this.item.backgroundColor = undefined;
    this.item.command = 'stitch.showServerLog';
    if (run && state.kind === 'ready') {
      this.renderRun(run);
      return;
    }
    switch (state.kind) {
      case 'stopped':
        this.item.text = '$(circle-outline) Stitch';
        this.item.tooltip = 'Stitch: the server is not running; it starts when you train or list runs.';
        break;
      case 'starting':
        this.item.text = `$(sync~spin) Stitch: ${state.remote ? 'connecting' : 'starting'}`;
        this.item.tooltip = state.remote
          ? 'Connecting to the remote Stitch server…'
          : 'Starting the local Stitch server…';
        break;
      case 'ready':
        this.item.text = `$(${state.remote ? 'remote' : 'pulse'}) Stitch`;
        this.item.tooltip =
          `Stitch server ${state.remote ? '(remote) ' : ''}at ${state.url}, ${state.backend} backend` +
          (state.pid ? `, pid ${state.pid}` : '') +
          '. Click for the log.';
        break;
      case 'crashed':
        this.item.text = '$(error) Stitch';
        this.item.tooltip = `${state.message} Click for the log; run "Stitch: Restart Server" to try again.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
      default: {
        const unknown: never = state;
        throw new Error(`unknown server state ${(unknown as ServerState).kind}`);
      }
    }
  }

  private renderRun(run: ActiveRun): void {
    const epochs = run.epochs ? ` epoch ${run.epoch}/${run.epochs}` : '';
    this.item.text = `$(sync~spin) Stitch: ${run.name}${epochs} ${Math.round(run.progress * 100)}%`;
    // A click shows the run; cancelling stays behind the notification's Cancel or "Stitch: Cancel Run", since
    // people click a status item to look, and a long run should not end by accident.
    this.item.tooltip = `Training ${run.name} (run ${run.runId}): ${run.state}. Click to show its metrics.`;
    this.item.command = { command: 'stitch.showMetrics', title: 'Show Training Metrics', arguments: [run.runId] };
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
