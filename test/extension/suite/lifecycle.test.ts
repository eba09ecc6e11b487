/**
 * Run and server lifecycle in a real VS Code: cancelling a run that trains, remote mode against a
 * `stitch serve` this test starts (token from "Set Remote Server Token"), and the `crashed` state after
 * repeated deaths. Each test starts from a ready local server and leaves one behind, so the files may run in
 * any order. The crash notification stays (an error with actions is sticky), and the harness checks it and
 * its "Show Log" button after the suite (scripts/e2e/lifecycleChecks.mjs).
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StitchApi } from '../../../src/extension/extension';
import type { TrainOutcome } from '../../../src/extension/runTracker';
import { localRunsDir, type ServerController, type ServerState } from '../../../src/extension/serverController';
import { stitch, waitFor, workspaceFile } from './helpers';

/** Waits until the controller settles in a state that `wanted` accepts (a settings change restarts it). */
function settled(read: () => ServerState, wanted: (s: ServerState) => boolean, what: string): Promise<ServerState> {
  return waitFor(() => (wanted(read()) ? read() : undefined), what, 30_000);
}

/** A ready local server, whatever the tests before left (restarting it when needed). */
async function localReady(read: () => ServerState): Promise<void> {
  const state = read();
  if (state.kind === 'ready' && !state.remote) return;
  if (state.kind !== 'starting') await vscode.commands.executeCommand('stitch.restartServer');
  await settled(read, (s) => s.kind === 'ready' && !s.remote, 'a ready local server');
}

/** `node dist/cli.js serve` with a token, as a person would run it on a bigger machine. */
async function startRemote(
  cliPath: string,
  token: string,
  runsDir: string,
  workspace: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      'serve',
      '--port',
      '0',
      '--token',
      token,
      '--runs-dir',
      runsDir,
      '--workspace',
      workspace,
      '--backend',
      'cpu',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', STITCH_TOKEN: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`stitch serve exited ${code}: ${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const line = /^Stitch server listening on (http:\/\/\S+)\n/.exec(stdout);
      if (line) resolve(line[1]);
    });
  });
  return { url, child };
}

/** Starts training long.stitch.json; resolves once it trains its first batches (the command's promise, the run). */
async function trainLongRun(api: StitchApi) {
  const training = vscode.commands.executeCommand<TrainOutcome | undefined>(
    'stitch.train',
    workspaceFile('long.stitch.json'),
  );
  const active = await waitFor(
    () => [...api.services.tracker.active.values()].find((r) => r.state === 'running' && r.progress > 0),
    'the long run to train its first batches',
    60_000,
  );
  return { training, active };
}

describe('run and server lifecycle', function () {
  this.timeout(180_000);

  it('Cancel Run while a longer run trains ends it cancelled, and the runs view shows it', async () => {
    const api = await stitch();
    const { training, active } = await trainLongRun(api);
    assert.equal(active.name, 'spiral-long');
    const cancelled = await vscode.commands.executeCommand<string>('stitch.cancelRun');
    assert.equal(cancelled, active.runId);
    const outcome = await training;
    assert.ok(outcome, 'the train command returned nothing');
    assert.equal(outcome.state, 'cancelled');
    assert.equal(api.services.tracker.lastOutcome?.state, 'cancelled');
    assert.ok(active.progress < 0.5, `cancelled early, at ${active.progress}`);
    assert.equal(api.services.tracker.active.size, 0);
    const item = (await api.services.runsView.getChildren()).find((i) => i.run.run_id === active.runId);
    assert.ok(item, 'the cancelled run is listed');
    assert.equal(item.run.state, 'cancelled');
    assert.match(String(item.contextValue), /^run\.cancelled/);
  });

  it('with a second run queued behind a training one, the status bar and Show Training Metrics both take the training one', async () => {
    const api = await stitch();
    const { tracker } = api.services;
    const { training: first, active: training } = await trainLongRun(api);
    const second = vscode.commands.executeCommand<TrainOutcome | undefined>(
      'stitch.train',
      workspaceFile('xor.stitch.json'),
    );
    const queued = await waitFor(
      () => [...tracker.active.values()].find((r) => r.runId !== training.runId),
      'the second run to be followed',
    );
    assert.equal(queued.state, 'queued', 'the server trains one run at a time');
    assert.equal(tracker.current?.runId, training.runId);
    assert.equal(await vscode.commands.executeCommand<string>('stitch.showMetrics'), training.runId);
    assert.equal(await vscode.commands.executeCommand<string>('stitch.cancelRun', training.runId), training.runId);
    assert.equal((await first)?.state, 'cancelled');
    assert.equal((await second)?.state, 'succeeded', 'the queued run trains once the first is cancelled');
  });

  it('a run training when its server is killed ends failed through the restarted server, not with a lost stream', async () => {
    const api = await stitch();
    await localReady(() => api.services.server.state);
    const { training, active } = await trainLongRun(api);
    const pid = api.services.server.pid;
    assert.ok(pid, 'a local server');
    process.kill(pid, 'SIGKILL'); // no clean shutdown: the restarted server (new port, new token) ends the run
    const outcome = await training;
    assert.ok(outcome, 'the train command gave up (it kept dialling the killed server) instead of an outcome');
    assert.equal(outcome.runId, active.runId);
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', /server stopped while this run was active/);
    assert.equal(api.services.tracker.lastOutcome?.runId, active.runId, 'the status bar shows this run');
    assert.equal(api.services.tracker.active.size, 0);
  });

  it("another window's server on the same runs folder: its run and saved model show here, with no command", async () => {
    const api = await stitch();
    const { context, runsView, modelsView } = api.services;
    await localReady(() => api.services.server.state);
    // Another VS Code window starts a server of its own on the same runs folder (the global storage's).
    const token = `window-${Date.now()}`;
    const other = await startRemote(
      context.asAbsolutePath(path.join('dist', 'cli.js')),
      token,
      localRunsDir(context),
      vscode.workspace.workspaceFolders![0].uri.fsPath,
    );
    const changed = { runs: 0, models: 0 };
    const watching = [
      runsView.onDidChangeTreeData(() => changed.runs++),
      modelsView.onDidChangeTreeData(() => changed.models++),
    ];
    const call = async (route: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
      const response = await fetch(other.url + route, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (response.status === 204 ? {} : await response.json()) as Record<string, unknown>;
    };
    const made: string[] = []; // removed at the end, so later tests see the folder as it was
    try {
      const schema = {
        version: 1,
        name: 'from another window',
        input: { shape: [2] },
        layers: [
          { id: 'h', type: 'dense', units: 4, activation: 'relu' },
          { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
        ],
        training: { dataset: { name: 'xor' }, epochs: 1, batchSize: 16 },
      };
      const runId = String((await call('/api/train', { schema })).run_id);
      made.push(`/api/runs/${runId}`);
      await waitFor(
        async () => ((await call(`/api/runs/${runId}`)).state === 'succeeded' ? true : undefined),
        "the other window's run to succeed",
        60_000,
      );
      await waitFor(() => changed.runs > 0 || undefined, 'the Runs view to be refreshed by the folder watch');
      // This window's server reads the shared folder at most once a second, so the first listing may still
      // show the run training; the folder watch's next refresh shows its end.
      await waitFor(
        async () => (await runsView.getChildren()).find((i) => i.run.run_id === runId && i.run.state === 'succeeded'),
        "this window's Runs view to list the other window's run as succeeded",
      );
      const before = changed.models;
      const saved = await call('/api/models/save', { run_id: runId, name: 'saved in another window' });
      made.unshift(`/api/models/${String(saved.model_id)}`);
      await waitFor(() => changed.models > before || undefined, 'the Models view to be refreshed by the folder watch');
      const model = await waitFor(
        async () => (await modelsView.getChildren()).find((i) => i.model.name === 'saved in another window'),
        "this window's Models view to list the other window's model",
      );
      assert.equal(model.model.run_id, runId);
    } finally {
      for (const w of watching) w.dispose();
      for (const route of made) await call(route, undefined, 'DELETE');
      other.child.kill();
    }
  });

  it('remote mode: stitch.server.url and the stored token connect to a stitch serve; no local process', async () => {
    const api = await stitch();
    const server = api.services.server;
    const read = () => server.state;
    await localReady(read);
    const token = `remote-${Date.now()}`;
    const runsDir = mkdtempSync(path.join(os.tmpdir(), 'stitch-remote-runs-'));
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const remote = await startRemote(
      api.services.context.asAbsolutePath(path.join('dist', 'cli.js')),
      token,
      runsDir,
      folder,
    );
    const config = vscode.workspace.getConfiguration('stitch');
    try {
      assert.equal(await vscode.commands.executeCommand('stitch.setRemoteServerToken', token), true);
      // Changing the setting while connected reconnects by itself, to the remote server.
      await config.update('server.url', remote.url, vscode.ConfigurationTarget.Global);
      const connected = await settled(
        read,
        (s) => s.kind === 'ready' && s.remote,
        'the connection to the remote server',
      );
      assert.equal(connected.kind === 'ready' && connected.url, remote.url);
      assert.equal(server.pid, undefined, 'remote mode spawns no server');

      const outcome = await vscode.commands.executeCommand<TrainOutcome>(
        'stitch.train',
        workspaceFile('xor.stitch.json'),
      );
      assert.equal(outcome?.state, 'succeeded', outcome?.error);
      // The run lives in the remote server's store, reached with the token.
      const response = await fetch(`${remote.url}/api/runs/${outcome.runId}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { state: string }).state, 'succeeded');
      const items = await api.services.runsView.getChildren();
      assert.ok(
        items.some((i) => i.run.run_id === outcome.runId),
        'the runs view lists the remote run',
      );

      // A new token reconnects at once; a wrong one is refused with a message that says what to do.
      await vscode.commands.executeCommand('stitch.setRemoteServerToken', 'not-the-token');
      const refused = await settled(read, (s) => s.kind === 'crashed', 'the wrong token to be refused');
      assert.match(refused.kind === 'crashed' ? refused.message : '', /token is wrong.*Set Remote Server Token/);
    } finally {
      await config.update('server.url', undefined, vscode.ConfigurationTarget.Global);
      await api.services.secrets.delete('remoteToken');
      remote.child.kill();
      rmSync(runsDir, { recursive: true, force: true });
    }
    await localReady(read);
  });

  it('a server that keeps dying ends crashed (no endless restarts), with its reason', async () => {
    const api = await stitch();
    const server = api.services.server;
    await vscode.commands.executeCommand('stitch.restartServer'); // a fresh count of deaths
    await localReady(() => server.state);
    try {
      await dieThreeTimes(server);
    } finally {
      // Leave a working server for whatever runs next.
      await localReady(() => server.state);
    }
  });
});

/** Kills the server three times in a row; it must come back twice, then stay crashed, saying why. */
async function dieThreeTimes(server: ServerController): Promise<void> {
  for (let death = 1; death <= 3; death++) {
    const pid = server.pid;
    assert.ok(pid && server.state.kind === 'ready', `death ${death}: the server is up`);
    process.kill(pid, 'SIGKILL');
    await waitFor(
      () =>
        server.state.kind === 'crashed' || (server.state.kind === 'ready' && server.pid !== pid) ? true : undefined,
      `the server to come back or give up after death ${death}`,
      30_000,
    );
    assert.equal(server.state.kind, death < 3 ? 'ready' : 'crashed', `after death ${death}`);
  }
  assert.match(
    server.state.kind === 'crashed' ? server.state.message : '',
    /stopped 3 times in a row \(last: signal SIGKILL\)/,
  );
  assert.equal(server.pid, undefined);
  // Nothing restarts it behind our back.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(server.state.kind, 'crashed');
}
