/**
 * "Stitch: Export Trained Model": copies a run's trained model (tfjs layers format: model.json and its
 * weight files) into a folder the user picks, from where `tf.loadLayersModel` can load it.
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
  const model = await client.model(run.model_id);
  if (server.state.kind === 'ready' && server.state.remote) {
    void vscode.window.showWarningMessage(`Stitch: exporting from a remote server is not supported yet; the model is at ` +
      `${model.path} on the server machine.`);
    return undefined;
  }
  const folder = target ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false,
    canSelectMany: false, openLabel: 'Export Here', title: `Export the model of "${run.name}"`,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
  if (!folder) return undefined;
  // The local server runs on this machine, so its model folder is readable directly.
  // `path` is the model's folder (or its model.json).
  const source = vscode.Uri.file(model.path.endsWith('.json') ? model.path.replace(/[\\/][^\\/]+$/, '') : model.path);
  const destination = vscode.Uri.joinPath(folder, safeName(run.name || run.run_id));
  await vscode.workspace.fs.createDirectory(destination);
  const files = await vscode.workspace.fs.readDirectory(source);
  for (const [name, type] of files) {
    if (type !== vscode.FileType.File) continue;
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(source, name), vscode.Uri.joinPath(destination, name), { overwrite: true });
  }
  void vscode.window.showInformationMessage(`Stitch: exported ${files.length} file(s) of "${run.name}" to ${destination.fsPath}.`,
    'Reveal').then((c) => c && vscode.commands.executeCommand('revealFileInOS', destination));
  return destination;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-');
}
