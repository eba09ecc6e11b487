/** Shared helpers of the in-VS-Code tests. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { StitchApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'stitch-dev.stitch';

export async function stitch(): Promise<StitchApi> {
  const extension = vscode.extensions.getExtension<StitchApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

/** A file of the test workspace (the harness copies test/extension/fixtures into it). */
export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(name));
  return vscode.window.showTextDocument(document);
}

/** Polls `probe` every 100 ms until it returns a truthy value. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function stitchDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'stitch');
}

/** The tab of the Stitch panel (metrics and chat), if open. The tab's viewType may carry a prefix. */
export function stitchPanelTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('stitch.panel'));
}
