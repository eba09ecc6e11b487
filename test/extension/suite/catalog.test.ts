/**
 * The model catalog in VS Code (docs/extension.md): two tiny XOR runs trained through the real server,
 * one saved as a model (revealed in Stitch Models), renamed, sorted, its schema opened, tested in the panel's
 * Test tab, compared with the other run in a Compare Runs tab, and deleted. Stand-alone: it trains what it needs.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ModelSummary } from '../../../src/shared/protocol';
import { stitch, stitchPanelTab, waitFor, workspaceFile } from './helpers';

async function trainXor(): Promise<string> {
  const outcome = await vscode.commands.executeCommand<{ runId: string; state: string; error?: string }>(
    'stitch.train',
    workspaceFile('xor.stitch.json'),
  );
  assert.ok(outcome, 'the train command returned nothing (see the Stitch log)');
  assert.equal(outcome.state, 'succeeded', outcome.error);
  return outcome.runId;
}

function compareTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('stitch.compare'));
}

describe('catalog: Stitch Models and Compare Runs', function () {
  this.timeout(180_000);
  const runs: string[] = [];
  let modelId = '';

  before(async () => {
    runs.push(await trainXor(), await trainXor());
  });

  it('Save Model… saves a succeeded run under a name and reveals it in Stitch Models', async () => {
    const api = await stitch();
    modelId = String(await vscode.commands.executeCommand('stitch.saveModel', runs[0], 'xor catalog model'));
    assert.match(modelId, /^m_[0-9a-f]+$/);
    const listed = api.services.modelsView.lastListed.find((m) => m.model_id === modelId);
    assert.ok(listed, 'the saved model is listed');
    assert.deepEqual([listed.name, listed.run_id], ['xor catalog model', runs[0]]);
    const item = (await api.services.modelsView.getChildren()).find((i) => i.model.model_id === modelId);
    assert.ok(item);
    assert.match(String(item.description), /^test \d+\.\d% · just now$/);
    assert.equal(item.contextValue, 'model.run');
    // A blank name is refused by the same check the input box uses; nothing is saved.
    assert.equal(await vscode.commands.executeCommand('stitch.saveModel', runs[1], '  '), undefined);
  });

  it('Rename Model… renames it on the server', async () => {
    const api = await stitch();
    assert.equal(await vscode.commands.executeCommand('stitch.renameModel', modelId, 'xor renamed'), 'xor renamed');
    const client = await api.services.server.ensureStarted();
    assert.equal((await client.model(modelId)).name, 'xor renamed');
    const item = (await api.services.modelsView.getChildren()).find((i) => i.model.model_id === modelId);
    assert.equal(item?.label, 'xor renamed');
  });

  it('sorts by date or accuracy, remembering the choice', async () => {
    const api = await stitch();
    assert.equal(await vscode.commands.executeCommand('stitch.sortModelsByAccuracy'), 'accuracy');
    assert.equal(api.services.modelsView.sort, 'accuracy');
    assert.equal(await vscode.commands.executeCommand('stitch.sortModelsByDate'), 'date');
    assert.equal(api.services.modelsView.sort, 'date');
    const model = (await api.services.modelsView.getChildren())[0].model;
    const at = (accuracy: number | null, created: string): ModelSummary => ({
      ...model,
      model_id: created,
      test_accuracy: accuracy,
      highest_accuracy: accuracy,
      created_at: created,
    });
    const models = [at(0.5, '2026-01-03'), at(null, '2026-01-04'), at(0.9, '2026-01-01'), at(0.9, '2026-01-02')];
    assert.deepEqual(
      api.services.modelsView.sorted(models, 'accuracy').map((m) => m.model_id),
      ['2026-01-02', '2026-01-01', '2026-01-03', '2026-01-04'],
    );
    assert.deepEqual(
      api.services.modelsView.sorted(models, 'date').map((m) => m.model_id),
      ['2026-01-04', '2026-01-03', '2026-01-02', '2026-01-01'],
    );
  });

  it('opens the schema the model was trained from', async () => {
    const api = await stitch();
    const item = (await api.services.modelsView.getChildren()).find((i) => i.model.model_id === modelId);
    assert.ok(item, 'the model is listed');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('stitch.openTrainedSchema', item);
    assert.equal(uri.scheme, 'stitch-run');
    assert.ok(uri.path.startsWith(`/${runs[0]}/`), uri.toString());
    assert.match(vscode.window.activeTextEditor?.document.getText() ?? '', /"layers"/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it("Test Saved Model opens the panel's Test tab on the model's run", async () => {
    const api = await stitch();
    const item = (await api.services.modelsView.getChildren()).find((i) => i.model.model_id === modelId);
    assert.ok(item, 'the model is listed');
    assert.equal(await vscode.commands.executeCommand<string>('stitch.testSavedModel', item), runs[0]);
    const tab = await waitFor(() => stitchPanelTab(), 'the Stitch panel');
    assert.ok(api.services.panels.isOpen);
    await vscode.window.tabGroups.close(tab);
  });

  it('Compare Runs… opens a tab that loads both runs', async () => {
    const ids = await vscode.commands.executeCommand<string[]>('stitch.compareRuns', runs[0], runs[1]);
    assert.deepEqual(ids, runs);
    // The title becomes the runs' names once the page said `ready` and the host read both runs.
    const tab = await waitFor(
      () => (compareTab()?.label.startsWith('Compare xor') ? compareTab() : undefined),
      'the Compare Runs tab with both runs loaded',
      20_000,
    );
    await vscode.window.tabGroups.close(tab);
  });

  it('Delete Model removes it from the catalog; its run stays', async () => {
    const api = await stitch();
    assert.equal(await vscode.commands.executeCommand('stitch.deleteModel', modelId), true);
    const items = await api.services.modelsView.getChildren();
    assert.ok(!items.some((i) => i.model.model_id === modelId));
    const client = await api.services.server.ensureStarted();
    assert.equal((await client.run(runs[0])).state, 'succeeded');
  });
});
