/**
 * "Stitch: Compare Runs…": an editor tab with two runs side by side (hyperparameters with the differences
 * marked, final train/validation/test accuracy, and their loss and accuracy curves overlaid by epoch in each
 * run's colour). The page is loaded and watched by a WebviewHost (docs/webview.md); the runs are read once
 * from the server when the page says `ready`, so a reloaded page gets them again.
 */
import * as vscode from 'vscode';
import type { CompareHostMessage, CompareWebviewMessage } from '../../shared/compareProtocol';
import type { RunDetail } from '../../shared/protocol';
import type { ServerController } from '../serverController';
import { WebviewHost } from '../webviewHost';

export const COMPARE_VIEW_TYPE = 'stitch.compare';

/** Opens a compare tab for two runs; returns the panel (tests poll its title and `ready`). */
export function openComparePanel(
  context: vscode.ExtensionContext,
  server: ServerController,
  runIds: [string, string],
): WebviewHost<CompareWebviewMessage, CompareHostMessage> {
  const panel = vscode.window.createWebviewPanel(
    COMPARE_VIEW_TYPE,
    `Compare ${runIds[0]} ↔ ${runIds[1]}`,
    vscode.ViewColumn.Active,
    { enableScripts: true, retainContextWhenHidden: false },
  );
  panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'src/extension/icons/stitch.svg');
  const host = new WebviewHost<CompareWebviewMessage, CompareHostMessage>(panel, {
    kind: 'compare',
    title: 'Compare Runs',
    extensionUri: context.extensionUri,
    log: server.log,
    onReady: async () => {
      try {
        const client = await server.ensureStarted();
        const [a, b, all] = await Promise.all([client.run(runIds[0]), client.run(runIds[1]), client.runs()]);
        panel.title = `Compare ${a.name} ↔ ${b.name}`;
        const order = all.map((r) => ({ run_id: r.run_id, created_at: r.created_at }));
        host.post({ type: 'compare', runs: [a, b] as [RunDetail, RunDetail], order });
      } catch (err) {
        host.post({ type: 'error', message: (err as Error).message });
      }
    },
    // The only message besides `ready`: a click on a run's name opens it in the Stitch panel.
    onMessage: async (message) => {
      await vscode.commands.executeCommand('stitch.showMetrics', message.runId);
    },
  });
  return host;
}
