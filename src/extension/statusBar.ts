/**
 * The status bar item: one `switch` over the server state, overlaid with the progress of the run this
 * window is following (epoch, batch, percentage: the run's only progress display outside the panel), and
 * after a run with its labelled result. Clicking it while training or after a run opens a short menu
 * (metrics, cancel, log); otherwise it shows the server log (docs/extension.md, "Progress and notifications").
 */
import * as vscode from 'vscode';
import type { ServerController, ServerState } from './serverController';
import { resultText, type ActiveRun, type RunTracker, type TrainOutcome } from './runTracker';

/** The item's click while a run trains or after one ("Stitch: Show Run Menu", an entry of commands.ts). */
export const RUN_MENU_COMMAND = 'stitch.showRunMenu';

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
    const run = this.tracker.current;
    const state = this.server.state;
    this.item.backgroundColor = undefined;
    this.item.command = 'stitch.showServerLog';
    if (run && state.kind === 'ready') {
      this.renderRun(run);
      return;
    }
    const last = this.tracker.lastOutcome;
    if (last && state.kind === 'ready') {
      this.renderOutcome(last, state.remote);
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
    this.item.text = `$(sync~spin) Stitch: ${run.name} ${runProgressText(run)}`;
    // A click opens a menu: people click a status item to look, and a long run should not end by accident.
    this.item.tooltip = `Training ${run.name} (run ${run.runId}): ${run.state}. Click for its metrics or to cancel it.`;
    this.item.command = RUN_MENU_COMMAND;
  }

  private renderOutcome(outcome: TrainOutcome, remote: boolean): void {
    const result = outcome.state === 'succeeded' ? resultText(outcome) : outcome.state;
    this.item.text = `$(${remote ? 'remote' : 'pulse'}) Stitch: ${outcome.name} ${result}`;
    this.item.tooltip = `Last run ${outcome.name} (${outcome.runId}): ${outcome.state}${
      outcome.state === 'succeeded' ? `, ${result}` : ''
    }. Click for its metrics or the server log.`;
    this.item.command = RUN_MENU_COMMAND;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

/** "epoch 1/2 · batch 3/10 · 40%": the epoch as the panel counts it (the one being trained). */
export function runProgressText(run: ActiveRun): string {
  const parts: string[] = [];
  if (run.epoch > 0) parts.push(`epoch ${run.epoch}/${run.epochs || '?'}`);
  if (run.batches > 0) parts.push(`batch ${run.batch}/${run.batches}`);
  parts.push(run.state === 'queued' ? 'queued' : `${Math.round(run.progress * 100)}%`);
  return parts.join(' · ');
}

/** The status bar item's click menu: the run's metrics, Cancel while it trains, the server log. */
export async function showRunMenu(tracker: RunTracker): Promise<void> {
  const run = tracker.current;
  const runId = run?.runId ?? tracker.lastOutcome?.runId;
  const items: (vscode.QuickPickItem & { command: string; args: unknown[] })[] = [
    { label: '$(graph-line) Show Training Metrics', command: 'stitch.showMetrics', args: runId ? [runId] : [] },
  ];
  if (run) items.push({ label: `$(debug-stop) Cancel ${run.name}`, command: 'stitch.cancelRun', args: [run.runId] });
  items.push({ label: '$(output) Show Server Log', command: 'stitch.showServerLog', args: [] });
  const title = run ? `Stitch: ${run.name} ${runProgressText(run)}` : 'Stitch';
  const choice = await vscode.window.showQuickPick(items, { title });
  if (choice) await vscode.commands.executeCommand(choice.command, ...choice.args);
}
