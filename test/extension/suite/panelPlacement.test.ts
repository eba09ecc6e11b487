/**
 * Where the Stitch panel opens (src/extension/panels/stitchPanel.ts, `panelColumn`): never in a third column,
 * and the chat finds the schema editor on screen when the panel itself has the focus (shownSchema.ts), in a
 * real VS Code window with real editors.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shownSchemaDocument } from '../../../src/extension/panels/shownSchema';
import { stitch, stitchPanelTab, waitFor, workspaceFile } from './helpers';

const SCHEMA = 'xor.stitch.json';
const groups = (): number => vscode.window.tabGroups.all.length;

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('workbench.action.closeAllGroups');
  await waitFor(() => groups() === 1 && vscode.window.tabGroups.all[0].tabs.length === 0, 'no editors', 5000);
}

/** The schema's text in column 1 and its visual editor beside it, focused: the layout of a first session. */
async function textAndVisualEditor(): Promise<void> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(SCHEMA));
  await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('vscode.openWith', document.uri, 'stitch.visualEditor', vscode.ViewColumn.Two);
  await waitFor(
    () => groups() === 2 && vscode.window.tabGroups.activeTabGroup.viewColumn === vscode.ViewColumn.Two,
    'the visual editor active in column 2',
  );
}

async function panelColumn(): Promise<vscode.ViewColumn> {
  const tab = await waitFor(() => stitchPanelTab(), 'the Stitch panel tab');
  return tab.group.viewColumn;
}

describe('panel placement', function () {
  this.timeout(60_000);
  afterEach(closeAll);

  it('with one column, opens beside it', async () => {
    await closeAll();
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(SCHEMA)));
    (await stitch()).panels.show('metrics');
    assert.equal(await panelColumn(), vscode.ViewColumn.Two);
    assert.equal(groups(), 2);
  });

  it('with the text and the visual editor side by side, reuses a column instead of opening a third', async () => {
    await closeAll();
    await textAndVisualEditor();
    (await stitch()).panels.show('metrics');
    const column = await panelColumn();
    assert.equal(groups(), 2, 'no third column');
    // The visual editor the user was in stays on screen; the panel goes into the other column.
    assert.equal(column, vscode.ViewColumn.One);
  });

  it('after being moved, opens again in the column it was last in', async () => {
    await closeAll();
    await textAndVisualEditor();
    const api = await stitch();
    api.panels.show('metrics');
    await panelColumn();
    await vscode.commands.executeCommand('workbench.action.moveEditorToRightGroup');
    await waitFor(async () => (await panelColumn()) === vscode.ViewColumn.Two, 'the panel moved to column 2');
    const tab = stitchPanelTab();
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    await waitFor(() => !api.panels.isOpen, 'the panel closed');
    // Focus the text (column 1): the panel's remembered column 2 is not the active one, so it is reused.
    await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
    api.panels.show('metrics');
    assert.equal(await panelColumn(), vscode.ViewColumn.Two);
    assert.equal(groups(), 2);
  });

  it('the chat finds the schema editor on screen when the panel has the focus (after a reload)', async () => {
    await closeAll();
    const document = await vscode.workspace.openTextDocument(workspaceFile(SCHEMA));
    // Only the visual editor (a custom editor, no text editor) and the panel, which has the focus.
    await vscode.commands.executeCommand('vscode.openWith', document.uri, 'stitch.visualEditor', vscode.ViewColumn.One);
    (await stitch()).panels.show('chat');
    await panelColumn();
    await waitFor(() => stitchPanelTab()?.isActive && stitchPanelTab()?.group.isActive, 'the panel focused');
    assert.equal(vscode.window.activeTextEditor, undefined, 'no active text editor: the panel has the focus');
    const shown = await shownSchemaDocument();
    assert.equal(shown?.uri.toString(), document.uri.toString());
  });
});

describe('panel placement: run progress in the status bar', function () {
  this.timeout(120_000);

  it('shows the epoch, batch and percentage while a run trains, then the labelled result', async () => {
    const api = await stitch();
    const long = vscode.commands.executeCommand<{ state: string } | undefined>(
      'stitch.train',
      workspaceFile('long.stitch.json'),
    );
    const text = await waitFor(
      () => (/spiral-long epoch 1\/\d+ · batch \d+\/\d+ · \d+%/.test(api.statusBar.text) ? api.statusBar.text : ''),
      'batch progress in the status bar',
      60_000,
    );
    const run = [...api.services.tracker.active.values()][0];
    assert.match(text, new RegExp(`epoch ${run.epoch}/${run.epochs}`), 'the same epoch as the run the panel follows');
    await vscode.commands.executeCommand('stitch.cancelRun', run.runId);
    assert.equal((await long)?.state, 'cancelled');
    assert.match(api.statusBar.text, /spiral-long cancelled/);
    const xor = await vscode.commands.executeCommand<{ state: string } | undefined>(
      'stitch.train',
      workspaceFile('xor.stitch.json'),
    );
    assert.equal(xor?.state, 'succeeded');
    assert.match(api.statusBar.text, /xor-tiny test accuracy \d+\.\d%/);
  });
});
