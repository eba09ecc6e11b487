/**
 * The "Stitch Models" tree view: the server's model catalog (GET /api/models, kept in `<runsDir>/models.json`,
 * so it survives restarts), each model with its name, test accuracy and when it was saved (relative; the
 * local time in the tooltip). Sorted by date or by accuracy; the choice is a title-bar toggle remembered in
 * the workspace state. Like the Runs view it never starts the server by itself. It refreshes on server
 * events, when runs change (a deleted run takes its weights along) and after the catalog commands.
 */
import * as vscode from 'vscode';
import type { ModelSummary } from '../shared/protocol';
// Pure (no DOM): the panel's run list and this view say "5 min ago" the same way.
import { localTime, relativeTime } from '../../webview/metrics/runLabels';
import type { RunTracker } from './runTracker';
import { percent } from './runTracker';
import type { ServerController } from './serverController';

export const MODELS_VIEW_ID = 'stitch.models';

export type ModelSort = 'date' | 'accuracy';

const SORT_KEY = 'stitch.models.sort';
/** The `when` context key the title-bar toggle shows one of its two commands by. */
const SORT_CONTEXT = 'stitch.modelsSort';

/** The figure a model is ranked and labelled by: the test accuracy of its run, else its best accuracy. */
export function modelAccuracy(model: ModelSummary): number | null {
  return model.test_accuracy ?? model.highest_accuracy;
}

export class ModelItem extends vscode.TreeItem {
  constructor(
    readonly model: ModelSummary,
    now = Date.now(),
  ) {
    super(model.name || model.model_id, vscode.TreeItemCollapsibleState.None);
    this.id = `model:${model.model_id}`;
    this.iconPath = new vscode.ThemeIcon(model.trained ? 'package' : 'circle-outline');
    const accuracy = modelAccuracy(model);
    const label = model.test_accuracy !== null ? 'test' : 'best';
    this.description = [
      accuracy !== null ? `${label} ${percent(accuracy)}` : 'not trained',
      relativeTime(model.created_at, now),
    ]
      .filter(Boolean)
      .join(' · ');
    this.tooltip = new vscode.MarkdownString(
      [
        `**${model.name}** (\`${model.model_id}\`)`,
        model.description ? `\n\n${model.description}` : '',
        accuracy !== null ? `\n\n${label} accuracy ${percent(accuracy)}` : '',
        model.run_id ? `\n\nfrom run \`${model.run_id}\`` : '',
        `\n\nsaved ${localTime(model.created_at)}`,
      ].join(''),
    );
    // Menus in package.json key on it: `.run` when the model has a run to open, test or export.
    this.contextValue = `model${model.run_id ? '.run' : ''}`;
    if (model.run_id) {
      this.command = { command: 'stitch.showMetrics', title: 'Show Metrics', arguments: [model.run_id] };
    }
  }
}

export class ModelsView implements vscode.TreeDataProvider<ModelItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly tree: vscode.TreeView<ModelItem>;
  private items = new Map<string, ModelItem>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The models last listed, in the order shown (tests read it). */
  lastListed: ModelSummary[] = [];

  static register(context: vscode.ExtensionContext, server: ServerController, tracker: RunTracker): ModelsView {
    const view = new ModelsView(context, server);
    view.subscriptions.push(
      server.onDidChangeState(() => view.refresh()),
      // A run that finishes or is deleted changes the models' accuracy or weights.
      tracker.onDidChange(() => view.refreshSoon()),
    );
    void view.applySort(view.sort); // sets the context key for the title-bar toggle
    return view;
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: ServerController,
  ) {
    this.tree = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: this });
    this.subscriptions.push(this.tree);
  }

  get sort(): ModelSort {
    return this.context.workspaceState.get<ModelSort>(SORT_KEY) === 'accuracy' ? 'accuracy' : 'date';
  }

  async applySort(sort: ModelSort): Promise<void> {
    await this.context.workspaceState.update(SORT_KEY, sort);
    await vscode.commands.executeCommand('setContext', SORT_CONTEXT, sort);
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  /** `models` in the view's order (or `sort`'s); tests call it through the extension's API. */
  sorted(models: ModelSummary[], sort: ModelSort = this.sort): ModelSummary[] {
    return sortModels(models, sort);
  }

  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 1000);
  }

  /** Lists again and selects the model (after Save Model…); false when it is not listed. */
  async reveal(modelId: string): Promise<boolean> {
    await this.getChildren();
    const item = this.items.get(modelId);
    if (!item) return false;
    this.refresh();
    await this.tree.reveal(item, { select: true, focus: false });
    return true;
  }

  getTreeItem(item: ModelItem): vscode.TreeItem {
    return item;
  }

  /** Flat list: reveal needs a parent lookup, and no model has one. */
  getParent(): undefined {
    return undefined;
  }

  async getChildren(): Promise<ModelItem[]> {
    const client = this.server.readyClient;
    if (!client) return []; // the welcome text explains and links "Show Models"
    try {
      const models = this.sorted(await client.models());
      this.lastListed = models;
      const now = Date.now();
      const items = models.map((m) => new ModelItem(m, now));
      this.items = new Map(items.map((i) => [i.model.model_id, i]));
      return items;
    } catch (err) {
      this.server.log.warn(`could not list models: ${(err as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

/** Newest first; or best accuracy first (untrained last), newest first among equals. */
export function sortModels(models: ModelSummary[], sort: ModelSort): ModelSummary[] {
  const byDate = (a: ModelSummary, b: ModelSummary) => b.created_at.localeCompare(a.created_at);
  return [...models].sort((a, b) =>
    sort === 'date' ? byDate(a, b) : (modelAccuracy(b) ?? -1) - (modelAccuracy(a) ?? -1) || byDate(a, b),
  );
}
