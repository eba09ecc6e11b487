/**
 * "Stitch: Export Trained Model…": writes a run's trained model as files for TensorFlow.js, Keras or PyTorch
 * (POST /api/runs/:id/export; docs/export.md) into a folder the user picks. PyTorch gets model.py with
 * load_model(), the weights, train.py (torchrun-ready) and the run's samples. Works the same for a local and
 * a remote server.
 */
import * as vscode from 'vscode';
import type { ExportFormat, RunSummary } from '../shared/protocol';
import type { ServerController } from './serverController';

const FORMATS: readonly (vscode.QuickPickItem & { format: ExportFormat })[] = [
  {
    format: 'pytorch',
    label: 'PyTorch',
    description: 'model.py (nn.Module + load_model), weights, train.py for torchrun',
  },
  { format: 'keras', label: 'Keras', description: 'model.py (keras.Model + load_model), weights' },
  { format: 'tfjs', label: 'TensorFlow.js', description: 'model.json + weights.bin, as trained' },
];

/** Resolves to the folder the files were written to, or undefined when there was nothing to export. */
export async function exportModel(
  server: ServerController,
  run: RunSummary,
  target?: vscode.Uri,
  format?: ExportFormat,
): Promise<vscode.Uri | undefined> {
  if (!run.model_id) {
    void vscode.window.showInformationMessage(
      `Stitch: run "${run.name}" has no trained model (it ${run.state}). ` +
        'Only runs that finished training can be exported.',
    );
    return undefined;
  }
  // A caller that names the folder but no format (the older command arguments) gets the tfjs files.
  const chosen =
    format ??
    (target ? 'tfjs' : (await vscode.window.showQuickPick(FORMATS, { title: `Export "${run.name}" as` }))?.format);
  if (!chosen) return undefined;
  const folder =
    target ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Export Here',
        title: `Export the model of "${run.name}"`,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      })
    )?.[0];
  if (!folder) return undefined;
  const client = await server.ensureStarted();
  const destination = await freeFolder(
    folder,
    safeName(run.name || run.run_id) + (chosen === 'tfjs' ? '' : `-${chosen}`),
  );
  const written = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Stitch: exporting ${run.name}` },
    async (progress) => {
      progress.report({ message: `building the ${chosen} files` });
      const { files } = await client.exportRun(run.run_id, { format: chosen });
      for (const file of files) {
        progress.report({ message: file.path, increment: 100 / files.length });
        const parts = file.path.split('/').map(safeName);
        await vscode.workspace.fs.writeFile(
          vscode.Uri.joinPath(destination, ...parts),
          Buffer.from(file.base64, 'base64'),
        );
      }
      return files.length;
    },
  );
  void vscode.window
    .showInformationMessage(
      `Stitch: exported ${written} file(s) of "${run.name}" to ${destination.fsPath}.`,
      'Open README',
      'Reveal',
    )
    .then((c) => {
      if (c === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', destination);
      if (c === 'Open README') void vscode.window.showTextDocument(vscode.Uri.joinPath(destination, 'README.md'));
    });
  return destination;
}

/** A path segment: no separators, and never `.` or `..` (a run named `..` must not climb out of the folder). */
function safeName(name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '-');
  return /^\.*$/.test(safe) ? '-' : safe;
}

/**
 * `<parent>/<name>`, or `<name>-2`, `-3`… when it exists: every run of a schema has its name, and an export
 * never writes over an earlier one (the user's edits to its model.py, a README of their own).
 */
async function freeFolder(parent: vscode.Uri, name: string): Promise<vscode.Uri> {
  for (let n = 1; ; n++) {
    const candidate = vscode.Uri.joinPath(parent, n === 1 ? name : `${name}-${n}`);
    try {
      await vscode.workspace.fs.stat(candidate);
    } catch {
      return candidate; // not there (any other error shows when the files are written)
    }
  }
}
