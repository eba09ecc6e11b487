import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, stitch, stitchPanelTab, waitFor, workspaceFile } from './helpers';

/** Run in an exported PyTorch folder: the trained model's accuracy on the run's test samples. */
function loadAndScore(): string {
  const root = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
  assert.ok(root, `${EXTENSION_ID} is not loaded`);
  return path.join(root, 'scripts/e2e/load_and_score.py');
}

interface Outcome {
  runId: string;
  state: string;
  error?: string;
  testAccuracy?: number | null;
}

/** Trains the tiny XOR fixture through the command, as a person would; asserts it succeeded. */
async function trainXor(): Promise<Outcome> {
  const outcome = await vscode.commands.executeCommand<Outcome>('stitch.train', workspaceFile('xor.stitch.json'));
  assert.ok(outcome, 'the train command returned nothing (see the Stitch log)');
  assert.equal(outcome.state, 'succeeded', outcome.error);
  return outcome;
}

describe('training through the spawned server', function () {
  this.timeout(180_000);
  /** The suite's own run, trained once before its tests; no test changes or deletes it. */
  let trained: Outcome;
  let runId = '';
  before(async () => {
    trained = await trainXor();
    runId = trained.runId;
  });

  it('trains a tiny XOR schema end to end and reports the test accuracy', async () => {
    const api = await stitch();
    assert.equal(typeof trained.testAccuracy, 'number');
    const state = api.services.server.state;
    assert.equal(state.kind, 'ready');
    assert.ok(state.kind === 'ready' && state.url.startsWith('http://127.0.0.1:'));
    assert.equal(api.services.tracker.active.size, 0);
  });

  it('lists the run in the Stitch Runs view', async () => {
    const api = await stitch();
    const items = await api.services.runsView.getChildren();
    const item = items.find((i) => i.run.run_id === runId);
    assert.ok(item, `run ${runId} not in the view: ${items.map((i) => i.run.run_id).join(', ')}`);
    assert.equal(item.run.state, 'succeeded');
    assert.equal(item.label, 'xor-tiny');
    assert.match(String(item.contextValue), /^run\.succeeded/);
  });

  it('shows the metrics and the schema as trained', async () => {
    const shown = await vscode.commands.executeCommand<string>('stitch.showMetrics', runId);
    assert.equal(shown, runId);
    await vscode.window.tabGroups.close(await waitFor(() => stitchPanelTab(), 'the Stitch panel with the metrics'));
    // The run's metrics as a document (stitch-run:/<id>/metrics.md): one table row per epoch.
    const metricsUri = vscode.Uri.from({ scheme: 'stitch-run', path: `/${runId}/metrics.md` });
    const metrics = (await vscode.workspace.openTextDocument(metricsUri)).getText();
    assert.match(metrics, /\| 1 \| [\d.]+ \|/, 'one table row per epoch');
    assert.match(metrics, /\| 2 \| [\d.]+ \|/);
    const uri = await vscode.commands.executeCommand<vscode.Uri>('stitch.openTrainedSchema', runId);
    const trained = JSON.parse((await vscode.workspace.openTextDocument(uri)).getText()) as {
      name: string;
      layers: unknown[];
    };
    assert.equal(trained.name, 'xor-tiny');
    assert.equal(trained.layers.length, 2);
  });

  it('exports the trained model into a folder', async () => {
    const target = vscode.Uri.file(mkdtempSync(path.join(os.tmpdir(), 'stitch-export-')));
    const folder = await vscode.commands.executeCommand<vscode.Uri>('stitch.exportModel', runId, target);
    assert.ok(folder, 'nothing exported');
    const modelJson = path.join(folder.fsPath, 'model.json');
    assert.ok(existsSync(modelJson), `${modelJson} missing`);
    assert.equal((JSON.parse(readFileSync(modelJson, 'utf8')) as { format: string }).format, 'layers-model');
    // Exported again to the same place: a folder of its own, the first export (and an edit in it) untouched.
    writeFileSync(path.join(folder.fsPath, 'README.md'), 'my notes');
    const again = await vscode.commands.executeCommand<vscode.Uri>('stitch.exportModel', runId, target);
    assert.equal(again.fsPath, `${folder.fsPath}-2`);
    assert.ok(existsSync(path.join(again.fsPath, 'model.json')));
    assert.equal(readFileSync(path.join(folder.fsPath, 'README.md'), 'utf8'), 'my notes');
  });

  it("exports the trained model for PyTorch: model.py, weights, train.py, the run's samples", async () => {
    const target = vscode.Uri.file(mkdtempSync(path.join(os.tmpdir(), 'stitch-export-')));
    const folder = await vscode.commands.executeCommand<vscode.Uri>('stitch.exportModel', runId, target, 'pytorch');
    assert.ok(folder, 'nothing exported');
    for (const file of ['model.py', 'train.py', 'weights.safetensors', 'README.md', 'data/dataset.safetensors']) {
      assert.ok(existsSync(path.join(folder.fsPath, file)), `${file} missing`);
    }
    assert.match(readFileSync(path.join(folder.fsPath, 'model.py'), 'utf8'), /class StitchModel\(nn\.Module\)/);
    // Loaded in PyTorch the way the exported README says (load_model), the model scores the run's test samples
    // as the run did (one sample of slack: the trainer evaluates in its own process). Where python3 has no
    // torch (Debian: apt-get install python3-torch) this part is skipped with a line in the log.
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
    );
    if (!python) {
      console.log('      (skipped the PyTorch load: no python3 with torch)');
      return;
    }
    const load = spawnSync(python, [loadAndScore()], { cwd: folder.fsPath, encoding: 'utf8' });
    assert.equal(load.status, 0, load.stderr);
    const { accuracy, count } = JSON.parse(load.stdout) as { accuracy: number; count: number };
    const client = await (await stitch()).services.server.ensureStarted();
    const reported = (await client.run(runId)).test?.accuracy;
    assert.ok(reported !== undefined && reported !== null, 'the run reported no test accuracy');
    assert.ok(Math.abs(accuracy - reported) <= 1 / count + 1e-9, `PyTorch ${accuracy} vs the run's ${reported}`);
  });

  it("shows the last run's result in the status bar after a reload (read from the server's runs list)", async () => {
    const api = await stitch();
    // A reloaded window has followed no run: no outcome in memory, and the server starts afresh.
    api.services.tracker.lastOutcome = undefined;
    await api.services.server.restart();
    const tracker = api.services.tracker;
    const recalled = await waitFor(() => tracker.lastOutcome, 'the last run read from the server', 30_000);
    assert.equal(recalled.runId, runId);
    assert.match(api.statusBar.text, /Stitch: xor-tiny test accuracy \d+(\.\d)?%/);
  });

  it('restarts the server when its process is killed', async () => {
    const api = await stitch();
    const server = api.services.server;
    const pid = server.pid;
    assert.ok(pid, 'the local server has a pid');
    process.kill(pid, 'SIGKILL');
    const state = await waitFor(
      () => (server.state.kind === 'ready' && server.pid !== pid ? server.state : undefined),
      'the server to come back',
      30_000,
    );
    assert.equal(state.kind, 'ready');
    const items = await api.services.runsView.getChildren();
    assert.ok(
      items.some((i) => i.run.run_id === runId),
      'the restarted server still knows the run',
    );
  });

  it('deletes a run', async () => {
    const api = await stitch();
    const { runId: doomed } = await trainXor(); // its own run: the suite's run stays for the other tests
    assert.equal(await vscode.commands.executeCommand('stitch.deleteRun', doomed), true);
    const items = await api.services.runsView.getChildren();
    assert.ok(!items.some((i) => i.run.run_id === doomed));
    assert.ok(
      items.some((i) => i.run.run_id === runId),
      'only that run is gone',
    );
  });

  it('Restart Server answers with the new address', async () => {
    const url = await vscode.commands.executeCommand<string>('stitch.restartServer');
    assert.match(String(url), /^http:\/\/127\.0\.0\.1:\d+/);
  });

  it('Restart Server while the server is still starting starts it again, and it ends ready', async () => {
    const server = (await stitch()).services.server;
    await server.stop();
    const first = server.ensureStarted(); // still starting when the restart comes
    first.catch(() => undefined); // abandoned by the restart
    const client = await server.restart();
    assert.equal((await client.health()).ok, true);
    assert.equal(server.state.kind, 'ready');
    await assert.rejects(first, /stopped while it was starting/);
    assert.equal(server.state.kind, 'ready', 'the abandoned start does not change the state');
  });
});
