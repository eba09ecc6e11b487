import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { stitch, stitchPanelTab, waitFor } from './helpers';

/** Commands that need nothing from the server, and what they answer. */
describe('commands without the server', () => {
  before(() => stitch());

  it('Open Chat opens the Stitch panel', async () => {
    assert.equal(await vscode.commands.executeCommand('stitch.openChat'), 'panel');
    const tab = await waitFor(() => stitchPanelTab(), 'the Stitch panel tab');
    await vscode.window.tabGroups.close(tab);
  });

  it('Set / Clear OpenAI API Key keep the key in secret storage only', async () => {
    const api = await stitch();
    assert.equal(await vscode.commands.executeCommand('stitch.setApiKey', 'sk-test-123'), true);
    assert.equal(await api.services.secrets.get('openaiApiKey'), 'sk-test-123');
    const settings = JSON.stringify(vscode.workspace.getConfiguration('stitch'));
    assert.doesNotMatch(settings, /sk-test-123/);
    assert.equal(await vscode.commands.executeCommand('stitch.clearApiKey'), true);
    assert.equal(await api.services.secrets.get('openaiApiKey'), undefined);
  });

  it('Set Remote Server Token stores the token', async () => {
    const api = await stitch();
    assert.equal(await vscode.commands.executeCommand('stitch.setRemoteServerToken', 'remote-token'), true);
    assert.equal(await api.services.secrets.get('remoteToken'), 'remote-token');
    await api.services.secrets.delete('remoteToken');
  });

  it('Show Server Log runs', async () => {
    assert.equal(await vscode.commands.executeCommand('stitch.showServerLog'), true);
  });

  it('Cancel Run with nothing training says so instead of failing', async () => {
    assert.equal(await vscode.commands.executeCommand('stitch.cancelRun'), undefined);
  });

  it('Train and Open Visual Editor without a schema say what to open', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await vscode.commands.executeCommand('stitch.train'), undefined);
    assert.equal(await vscode.commands.executeCommand('stitch.openVisualEditor'), undefined);
  });

  it('New Architecture opens a template as an untitled *.stitch.json', async function () {
    const api = await stitch();
    const examples = vscode.Uri.joinPath(api.services.context.extensionUri, 'examples');
    const templates = (await vscode.workspace.fs.readDirectory(examples))
      .map(([n]) => n)
      .filter((n) => n.endsWith('.stitch.json'));
    if (templates.length === 0) this.skip(); // examples/ is filled by the schema issue
    const uri = await vscode.commands.executeCommand<vscode.Uri>('stitch.newArchitecture', templates[0]);
    assert.ok(uri);
    assert.equal(uri.scheme, 'untitled');
    assert.ok(uri.path.endsWith('.stitch.json'));
    const document = await waitFor(
      () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()),
      'the new document',
    );
    assert.ok(document.getText().includes('"layers"'));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
