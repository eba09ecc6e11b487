import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFixture, stitch, waitFor, workspaceFile } from './helpers';

describe('visual editor', () => {
  it('opens beside the text as a custom editor over the same document', async () => {
    await stitch();
    const uri = workspaceFile('cnn.stitch.json');
    await openFixture('cnn.stitch.json');
    await vscode.commands.executeCommand('stitch.openVisualEditor', uri);
    const tab = await waitFor(
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find(
            (t) =>
              t.input instanceof vscode.TabInputCustom &&
              t.input.viewType === 'stitch.visualEditor' &&
              t.input.uri.toString() === uri.toString(),
          ),
      'the visual editor tab',
    );
    assert.notEqual(tab.group.viewColumn, vscode.ViewColumn.One, 'the visual editor opens beside the text');
  });

  it('turns webview intents into edits of the document (undoable)', async () => {
    const api = await stitch();
    const { document } = await openFixture('cnn.stitch.json');
    const before = api.visualEditor.snapshot(document);
    assert.deepEqual(
      before.layers.map((l) => l.id),
      ['conv1', 'pool1', 'flat', 'out'],
    );
    assert.deepEqual(before.layers[1].outputShape, [13, 13, 32]);
    // Sent at once, as a held key or an edge drag does: each is applied on the text the previous one left.
    const results = await Promise.all([
      api.visualEditor.applyIntent(document, { type: 'schema/rename', name: 'renamed-cnn' }),
      api.visualEditor.applyIntent(document, { type: 'layer/update', id: 'conv1', key: 'filters', value: 16 }),
    ]);
    assert.deepEqual(results, [{ ok: true }, { ok: true }]);
    assert.match(document.getText(), /"name": "renamed-cnn"/);
    assert.match(document.getText(), /"filters": 16/);
    assert.ok(document.isDirty);
    const after = api.visualEditor.snapshot(document);
    assert.deepEqual(after.layers[0].outputShape, [26, 26, 16]);
    const missing = await api.visualEditor.applyIntent(document, {
      type: 'layer/update',
      id: 'nope',
      key: 'units',
      value: 1,
    });
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.error, /no layer "nope"/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.doesNotMatch(document.getText(), /renamed-cnn/);
  });
});
