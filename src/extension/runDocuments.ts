/**
 * Read-only documents about a run, served from the server under the `stitch-run:` scheme:
 *   stitch-run:/<run id>/<name>.stitch.json   the schema exactly as it was trained
 *   stitch-run:/<run id>/metrics.md           the run's per-epoch metrics as a Markdown table
 * The metrics document is the interim "Show Training Metrics" view; the live charts panel is a later issue.
 */
import * as vscode from 'vscode';
import type { RunDetail } from '../shared/protocol';
import type { ServerController } from './serverController';
import { formatDuration } from './runsView';
import { percent } from './runTracker';

export const RUN_SCHEME = 'stitch-run';

export class RunDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  static register(server: ServerController): RunDocuments {
    return new RunDocuments(server);
  }

  private constructor(private readonly server: ServerController) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(RUN_SCHEME, this);
  }

  /** Opens (and re-fetches, if already open) a run document. */
  async show(uri: vscode.Uri): Promise<vscode.TextEditor> {
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const [, runId, file] = uri.path.split('/');
    const client = await this.server.ensureStarted();
    const run = await client.run(runId);
    return file === 'metrics.md' ? metricsMarkdown(run) : JSON.stringify(run.schema, null, 2) + '\n';
  }
}

export function schemaUri(runId: string, name: string): vscode.Uri {
  const safe = (name || 'schema').replace(/[^\w.-]+/g, '-');
  return vscode.Uri.from({ scheme: RUN_SCHEME, path: `/${runId}/${safe}.stitch.json` });
}

export function metricsUri(runId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RUN_SCHEME, path: `/${runId}/metrics.md` });
}

function metricsMarkdown(run: RunDetail): string {
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(4));
  const acc = (v: number | null) => (v === null ? '–' : percent(v));
  const lines = [
    `# ${run.name} (run ${run.run_id})`,
    '',
    `State: **${run.state}**${run.backend ? ` on the ${run.backend} backend` : ''}; ` +
      `${run.epochs_done} of ${run.epochs} epochs.`,
  ];
  if (run.error) lines.push('', `Error: ${run.error}`);
  if (run.test) {
    lines.push(
      '',
      `Test: loss ${fmt(run.test.loss)}` +
        (run.test.accuracy !== null ? `, accuracy ${percent(run.test.accuracy)}` : '') +
        ` on ${run.test.samples} samples.`,
    );
  }
  lines.push(
    '',
    '| epoch | train loss | val loss | train acc | val acc | learning rate | time | samples/s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const m of run.metrics) {
    lines.push(
      `| ${m.epoch} | ${fmt(m.train_loss)} | ${fmt(m.val_loss)} | ${acc(m.train_accuracy)} | ` +
        `${acc(m.val_accuracy)} | ${m.learning_rate} | ${formatDuration(m.epoch_time)} | ${Math.round(m.samples_per_sec)} |`,
    );
  }
  if (run.metrics.length === 0) lines.push('| – | | | | | | | |');
  lines.push(
    '',
    '_Live charts arrive with the Stitch panel in a later version; this table is a snapshot ' +
      '(run "Stitch: Show Training Metrics" again to refresh it)._',
    '',
  );
  return lines.join('\n');
}
