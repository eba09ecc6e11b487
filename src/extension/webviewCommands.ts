/**
 * The commands a webview may ask the host to run (`PanelCommand`: a fixed list, the page cannot run
 * arbitrary commands), in one map that both views use. The map's type names every command, so adding one
 * to the protocol is a type error here until it does something.
 */
import * as vscode from 'vscode';
import type { PanelCommand } from '../shared/webviewProtocol';

/** What the command is about: the view's schema document and, from the metrics, a run. */
export interface CommandTarget {
  document?: vscode.TextDocument;
  runId?: string;
}

const WEBVIEW_COMMANDS: Readonly<Record<PanelCommand, (target: CommandTarget) => Thenable<unknown>>> = {
  train: ({ document }) => vscode.commands.executeCommand('stitch.train', document?.uri),
  cancel: ({ runId }) => vscode.commands.executeCommand('stitch.cancelRun', runId),
  showMetrics: ({ runId }) => vscode.commands.executeCommand('stitch.showMetrics', runId),
  openChat: () => vscode.commands.executeCommand('stitch.openChat'),
  setApiKey: () => vscode.commands.executeCommand('stitch.setApiKey'),
  showText: ({ document }) =>
    document
      ? vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside })
      : vscode.window.showInformationMessage('Stitch: open a *.stitch.json file first.'),
};

export async function runWebviewCommand(command: PanelCommand, target: CommandTarget): Promise<void> {
  const run = WEBVIEW_COMMANDS[command] as ((target: CommandTarget) => Thenable<unknown>) | undefined;
  // A page from a newer or tampered bundle may send anything: only the listed commands run.
  if (!run) throw new Error(`unknown command "${String(command)}"`);
  await run(target);
}
