/**
 * "Stitch: Export Trained Model": downloads a run's trained model (tfjs layers format: model.json and its
 * weight files) from the server (GET /api/runs/:id/model, then each file) into a folder the user picks,
 * from where `tf.loadLayersModel` can load it. Works the same for a local and a remote server.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../shared/protocol';
import type { ServerController } from './serverController';

/** Resolves to the folder the files were written to, or undefined when there was nothing to export. */
export async function exportModel(server: ServerController, run: RunSummary, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!run.model_id) {
    void vscode.window.showInformationMessage(`Stitch: run "${run.name}" has no trained model (it ${run.state}). ` +
      'Only runs that finished training can be exported.');
    return undefined;
  }
  const client = await server.ensureStarted();
  const files = await client.modelFiles(run.run_id);
  const folder = target ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false,
    canSelectMany: false, openLabel: 'Export Here', title: `Export the model of "${run.name}"`,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
  if (!folder) return undefined;
  const destination = vscode.Uri.joinPath(folder, safeName(run.name || run.run_id));
  await vscode.workspace.fs.createDirectory(destination);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stitch: exporting ${run.name}` },
    async (progress) => {
      for (const file of files) {
        progress.report({ message: file.name, increment: 100 / files.length });
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(destination, safeName(file.name)), await client.download(file.url));
      }
    });
  void vscode.window.showInformationMessage(`Stitch: exported ${files.length} file(s) of "${run.name}" to ${destination.fsPath}.`,
    'Reveal').then((c) => c && vscode.commands.executeCommand('revealFileInOS', destination));
  return destination;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-');
}
