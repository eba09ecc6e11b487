// The commands that open the panel's Evaluate and Test tabs (docs/webview.md): on the run given as an id (the
// model catalog's call) or a runs view item, else on the run that last succeeded in this window; and they are
// in the runs view's context menu of a succeeded run only. Stands alone: it trains its own tiny XOR run. The
// tabs' contents are checked in Chromium (test/webview/panelTabsInBrowser.test.ts) and in code-server
// (scripts/e2e/evaluateSmoke.mjs).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { stitch, stitchPanelTab, waitFor, workspaceFile } from './helpers';

interface Outcome {
  runId: string;
  state: string;
  error?: string;
}

describe('Show Evaluation and Test Trained Model', function () {
  this.timeout(180_000);
  let runId = '';
  before(async () => {
    const outcome = await vscode.commands.executeCommand<Outcome>('stitch.train', workspaceFile('xor.stitch.json'));
    assert.ok(outcome, 'the train command returned nothing (see the Stitch log)');
    assert.equal(outcome.state, 'succeeded', outcome.error);
    runId = outcome.runId;
  });

  afterEach(async () => {
    const tab = stitchPanelTab();
    if (tab) await vscode.window.tabGroups.close(tab);
  });

  it('without an argument, opens the panel on the run that just succeeded', async () => {
    assert.equal(await vscode.commands.executeCommand<string>('stitch.showEvaluation'), runId);
    await waitFor(() => stitchPanelTab(), 'the Stitch panel');
    assert.ok((await stitch()).services.panels.isOpen);
  });

  it('takes a run id (the model catalog) or a runs view item', async () => {
    assert.equal(await vscode.commands.executeCommand<string>('stitch.testModel', runId), runId);
    await waitFor(() => stitchPanelTab(), 'the Stitch panel');
    const items = await (await stitch()).services.runsView.getChildren();
    const item = items.find((i) => i.run.run_id === runId);
    assert.ok(item, `run ${runId} is not in the runs view`);
    assert.equal(await vscode.commands.executeCommand<string>('stitch.showEvaluation', item), runId);
    assert.equal(await vscode.commands.executeCommand<string>('stitch.testModel', item), runId);
  });

  it("are in the runs view's context menu of succeeded runs with a model, and only there", async () => {
    const extension = vscode.extensions.getExtension('stitch-dev.stitch');
    assert.ok(extension);
    const manifest = JSON.parse(readFileSync(path.join(extension.extensionPath, 'package.json'), 'utf8')) as {
      contributes: { menus: Record<string, { command: string; when: string }[]> };
    };
    const items = await (await stitch()).services.runsView.getChildren();
    const item = items.find((i) => i.run.run_id === runId);
    assert.ok(item);
    const contextValue = String(item.contextValue);
    for (const command of ['stitch.showEvaluation', 'stitch.testModel']) {
      const entry = manifest.contributes.menus['view/item/context'].find((m) => m.command === command);
      assert.ok(entry, `${command} is not in the runs view's context menu`);
      const pattern = /viewItem =~ \/(.*)\/$/.exec(entry.when)?.[1];
      assert.ok(pattern, entry.when);
      assert.ok(new RegExp(pattern).test(contextValue), `${entry.when} does not match ${contextValue}`);
      assert.ok(!new RegExp(pattern).test('run.failed'), `${command} is offered for a failed run`);
    }
  });
});
