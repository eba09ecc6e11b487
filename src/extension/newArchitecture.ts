/**
 * "Stitch: New Architecture": pick one of the bundled templates (examples/*.stitch.json) and open it as
 * a new untitled `<name>.stitch.json` in the first workspace folder; with no folder open, a file saved where
 * the user chooses first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

interface Template {
  file: string;
  name: string;
  description: string;
  text: string;
}

function readTemplates(dir: string): Template[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.stitch.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      let name = file.replace(/\.stitch\.json$/, '');
      let description = '';
      try {
        const parsed = JSON.parse(text) as { name?: unknown; description?: unknown; training?: { dataset?: unknown } };
        if (typeof parsed.name === 'string') name = parsed.name;
        if (typeof parsed.description === 'string') description = parsed.description;
        else if (parsed.training?.dataset) description = `dataset: ${JSON.stringify(parsed.training.dataset)}`;
      } catch {
        // A template with a syntax error still opens: the diagnostics will point at it.
      }
      return { file, name, description, text };
    });
}

/** Opens the chosen template as an untitled document (a saved file when no folder is open); resolves to its URI (undefined when cancelled). */
export async function newArchitecture(
  context: vscode.ExtensionContext,
  templateFile?: string,
): Promise<vscode.Uri | undefined> {
  const dir = context.asAbsolutePath('examples');
  const templates = readTemplates(dir);
  if (templates.length === 0) {
    void vscode.window.showErrorMessage(`Stitch: no templates found in ${dir}; reinstall the extension.`);
    return undefined;
  }
  const template = templateFile
    ? templates.find((t) => t.file === templateFile || t.file === `${templateFile}.stitch.json`)
    : (
        await vscode.window.showQuickPick(
          templates.map((t) => ({ label: t.name, description: t.file, detail: t.description, t })),
          { title: 'New Stitch architecture from a template', matchOnDescription: true, matchOnDetail: true },
        )
      )?.t;
  if (!template) {
    if (templateFile) void vscode.window.showErrorMessage(`Stitch: no template "${templateFile}" in ${dir}.`);
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const base = template.file.replace(/\.stitch\.json$/, '');
  if (!folder) {
    // No folder to put it in: asked where, as VS Code's own New File does. (An untitled document with a path
    // would be saved there without a dialog, and a path of the extension's would hide the user's file.)
    const picked = await vscode.window.showSaveDialog({
      title: `Save the new architecture "${template.name}"`,
      defaultUri: vscode.Uri.file(path.join(os.homedir(), `${base}.stitch.json`)),
      filters: { 'Stitch schema': ['stitch.json', 'json'] },
    });
    if (!picked) return undefined;
    await vscode.workspace.fs.writeFile(picked, Buffer.from(template.text));
    await vscode.window.showTextDocument(picked);
    return picked;
  }
  let target: vscode.Uri;
  for (let n = 0; ; n++) {
    const fileName = `${base}${n ? `-${n}` : ''}.stitch.json`;
    target = vscode.Uri.joinPath(folder, fileName);
    const taken = vscode.workspace.textDocuments.some((d) => d.uri.path === target.path);
    if (!taken && !(await exists(target))) break;
  }
  const untitled = target.with({ scheme: 'untitled' });
  const document = await vscode.workspace.openTextDocument(untitled);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(untitled, new vscode.Position(0, 0), template.text);
  await vscode.workspace.applyEdit(edit);
  await vscode.window.showTextDocument(document);
  return untitled;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
