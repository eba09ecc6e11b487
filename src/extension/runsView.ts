/**
 * The "Stitch Runs" tree view: the server's runs (GET /api/runs) with a state icon, name, result (`test 97.3%`,
 * else `best val 85.0%`) and duration. It never starts the server by itself (activation stays cheap); when
 * the server is not running the view shows its welcome text with a link that does. It refreshes on run and
 * server events.
 */
import * as vscode from 'vscode';
import type { RunState, RunSummary } from '../shared/protocol';
import type { ServerController } from './serverController';
import type { RunTracker } from './runTracker';
import { percent } from './runTracker';

export const RUNS_VIEW_ID = 'stitch.runs';

const ICONS: Record<RunState, vscode.ThemeIcon> = {
  queued: new vscode.ThemeIcon('clock'),
  running: new vscode.ThemeIcon('sync~spin'),
  succeeded: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash'),
};

export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunSummary) {
    super(run.name || run.run_id, vscode.TreeItemCollapsibleState.None);
    this.id = run.run_id;
    this.iconPath = ICONS[run.state];
    const parts: string[] = [];
    // Each accuracy says which it is; the held-out test accuracy is the run's result when there is one.
    if (run.test?.accuracy != null) parts.push(`test ${percent(run.test.accuracy)}`);
    else if (run.best_val_accuracy !== null) parts.push(`best val ${percent(run.best_val_accuracy)}`);
    const seconds = duration(run);
    if (seconds !== undefined) parts.push(formatDuration(seconds));
    if (run.state === 'running') parts.push(`epoch ${run.epochs_done}/${run.epochs}`);
    this.description = parts.join(' · ');
    this.tooltip = new vscode.MarkdownString(
      [
        `**${run.name}** (\`${run.run_id}\`): ${run.state}`,
        run.error ? `\n\n${run.error}` : '',
        run.test?.accuracy != null
          ? `\n\ntest accuracy ${percent(run.test.accuracy)} on ${run.test.samples} samples`
          : '',
        `\n\nstarted ${run.started_at ?? run.created_at}`,
      ].join(''),
    );
    // `run.<state>` plus `.model` when there are trained weights: menus in package.json key on it.
    this.contextValue = `run.${run.state}${run.model_id ? '.model' : ''}`;
    this.command = { command: 'stitch.showMetrics', title: 'Show Metrics', arguments: [this] };
  }
}

export class RunsView implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The runs last listed (tests read it). */
  lastListed: RunSummary[] = [];

  static register(server: ServerController, tracker: RunTracker): RunsView {
    const view = new RunsView(server);
    view.subscriptions.push(
      // Two runs selected together can be compared ("Compare Runs…" from the context menu).
      vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: view, canSelectMany: true }),
      server.onDidChangeState(() => view.refresh()),
      tracker.onDidChange(() => view.refreshSoon()),
    );
    return view;
  }

  private constructor(private readonly server: ServerController) {}

  refresh(): void {
    this.changed.fire();
  }

  /** Batch progress events arrive many times a second: refresh at most once a second for them. */
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 1000);
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(): Promise<RunItem[]> {
    const client = this.server.readyClient;
    if (!client) return []; // the welcome text explains and links "Show Runs"
    try {
      const runs = await client.runs();
      runs.sort((a, b) => b.created_at.localeCompare(a.created_at));
      this.lastListed = runs;
      return runs.map((run) => new RunItem(run));
    } catch (err) {
      this.server.log.warn(`could not list runs: ${(err as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

function duration(run: RunSummary): number | undefined {
  if (!run.started_at) return undefined;
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  return Math.max(0, (end - Date.parse(run.started_at)) / 1000);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}
