import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, stitch } from './helpers';

describe('activation', () => {
  it('activates quickly without starting the server', async () => {
    const api = await stitch();
    console.log(`      activation took ${api.activationMs.toFixed(1)} ms`);
    assert.ok(api.activationMs > 0 && api.activationMs < 2000, `activation took ${api.activationMs} ms`);
    assert.equal(api.services.server.state.kind, 'stopped', 'the server must start on first need, not at activation');
    assert.match(api.statusBar.text, /Stitch/);
  });

  it('registers every contributed command, and contributes every registered one', async () => {
    await stitch();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string; category: string }[] };
    };
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    const registered = (await vscode.commands.getCommands(true))
      .filter((c) => c.startsWith('stitch.'))
      // the views' own focus/open/... commands, made by VS Code
      .filter((c) => !c.startsWith('stitch.runs.') && !c.startsWith('stitch.models.'))
      .sort();
    assert.deepEqual(registered, contributed);
    assert.ok(manifest.contributes.commands.every((c) => c.category === 'Stitch'));
  });
});
