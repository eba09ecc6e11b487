/**
 * The `stitch` command as a user runs it: a real process (the TypeScript entry through tsx), real files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spiralSchema } from '../serverHarness';

const CLI = join(__dirname, '../../../src/server/cli.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function stitch(args: string[], cwd: string, onStdout?: (text: string, kill: () => void) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd,
      env: { ...process.env, STITCH_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      onStdout?.(stdout, () => child.kill('SIGINT'));
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `stitch serve` as its own process; resolves once it prints its listening line. */
function serve(
  args: string[],
  cwd: string,
): Promise<{ url: string; child: ChildProcess; stderr: () => string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--port', '0', ...args], {
      cwd,
      env: { ...process.env, STITCH_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('exit', (code) => reject(new Error(`stitch serve exited ${code}: ${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const line = /^Stitch server listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (!line) return;
      resolve({
        url: line[1],
        child,
        stderr: () => stderr,
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit').on('exit', () => done());
            child.kill('SIGINT');
          }),
      });
    });
  });
}

/** `stitch train` of a long run in `runsDir`, with `act` called once its first epoch line is out. */
function trainUntil(
  file: string,
  runsDir: string,
  act: (child: ChildProcess) => void,
): Promise<Result & { signal: NodeJS.Signals | null; states: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'train', file, '--runs-dir', runsDir], {
      env: { ...process.env, STITCH_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    let acted = false;
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      if (!acted && /^epoch 1\//m.test(stdout)) {
        acted = true;
        act(child);
      }
    });
    child.stdout.on('error', () => undefined); // destroyed by `act`
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('exit', (code, signal) => {
      const states = readdirSync(runsDir)
        .filter((name) => /^\d{8}-/.test(name))
        .map((name) => (JSON.parse(readFileSync(join(runsDir, name, 'run.json'), 'utf8')) as { state: string }).state);
      resolve({ code, signal, stdout, stderr, states });
    });
  });
}

describe('stitch CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stitch-cli-'));
    writeFileSync(join(dir, 'spiral.stitch.json'), JSON.stringify(spiralSchema({ epochs: 3, samples: 240 }), null, 2));
    writeFileSync(
      join(dir, 'broken.stitch.json'),
      [
        '{',
        '  "version": 1,',
        '  "input": { "shape": [2] },',
        '  "layers": [',
        '    { "id": "h1", "type": "dense", "units": -3 },',
        '    { "id": "out", "type": "denze", "units": 2 }',
        '  ],',
        '  "training": { "dataset": "spiral" }',
        '}',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('validate prints file:line:col: message for every problem and exits 1; a valid file exits 0', async () => {
    const broken = await stitch(['validate', 'broken.stitch.json'], dir);
    assert.equal(broken.code, 1);
    const lines = broken.stderr.trim().split('\n');
    assert.match(lines[0], /^broken\.stitch\.json:5:45: layers\[0\]\.units: /);
    assert.match(lines[1], /^broken\.stitch\.json:6:28: layers\[1\]\.type: .*did you mean "dense"/);
    const valid = await stitch(['validate', 'spiral.stitch.json'], dir);
    assert.equal(valid.code, 0);
    assert.match(valid.stdout, /spiral\.stitch\.json: valid \(2 layers, 62 parameters\)/);
    const missing = await stitch(['validate', 'nope.stitch.json'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the file \(ENOENT\)/);
  });

  test('train on a tiny spiral exits 0 and prints epochs and the test accuracy; --min-accuracy 1 after one epoch exits 1', async () => {
    const args = ['train', 'spiral.stitch.json', '--runs-dir', join(dir, 'runs'), '--backend', 'cpu'];
    const ok = await stitch(args, dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^epoch 3\/3 {2}loss \d\.\d{4}/m);
    assert.match(ok.stdout, /^test accuracy: (0|1)\.\d{4} {2}test loss: \d+\.\d{4} {2}\(48 samples\)$/m);
    assert.match(ok.stdout, /^model: .*runs.*model$/m);
    // Every one of 48 test samples right after one epoch: not on this spiral (its seed is fixed).
    const strict = await stitch([...args, '--min-accuracy', '1', '--epochs', '1'], dir);
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(strict.stdout, /^epoch 1\/1 /m);
    assert.match(strict.stdout, /is below --min-accuracy 1\b/);
  });

  test('train refuses an invalid schema before training, and usage errors exit 2', async () => {
    const broken = await stitch(['train', 'broken.stitch.json', '--runs-dir', join(dir, 'runs')], dir);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.stitch\.json:5:45: layers\[0\]\.units/);
    const usage = await stitch(['train', 'spiral.stitch.json', '--epochs', 'many'], dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--epochs: expected a whole number/);
    const help = await stitch(['--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /stitch serve/);
  });

  test('train --server URL --token T uses a running stitch serve (another process) and needs its token', async () => {
    const token = 'cli-test-token-5678';
    const server = await serve(
      ['--token', token, '--runs-dir', join(dir, 'remote-runs'), '--backend', 'cpu', '--workspace', dir],
      dir,
    );
    try {
      const ok = await stitch(
        ['train', 'spiral.stitch.json', '--server', server.url, '--token', token, '--epochs', '2'],
        dir,
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^epoch 2\/2 {2}loss \d\.\d{4}/m);
      assert.match(ok.stdout, /^test accuracy: (0|1)\.\d{4} /m);
      // The run happened in the serve process: it is in that server's run store, trained on its backend.
      const runs = (await (
        await fetch(`${server.url}/api/runs`, { headers: { Authorization: `Bearer ${token}` } })
      ).json()) as { runs: { state: string; backend: string }[] };
      assert.equal(runs.runs.length, 1);
      assert.equal(runs.runs[0].state, 'succeeded');
      assert.match(server.stderr(), /POST \/api\/train 202/);

      const wrong = await stitch(['train', 'spiral.stitch.json', '--server', server.url, '--token', 'not-it'], dir);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /token/i);
      const none = await stitch(['train', 'spiral.stitch.json', '--server', server.url], dir);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /token/i);
    } finally {
      await server.stop();
    }
  });

  test('on a terminal (a pseudo-terminal from script(1)) train redraws a live progress line', async () => {
    // 1,200 spiral points in batches of 16: dozens of batches per epoch, so some redraws happen mid-epoch.
    writeFileSync(join(dir, 'tty.stitch.json'), JSON.stringify(spiralSchema({ epochs: 2, samples: 1200 })));
    const command = `stty cols 150; exec ${process.execPath} --import ${TSX} ${CLI} train tty.stitch.json --runs-dir ${join(dir, 'tty-runs')} --backend cpu`;
    const result = await new Promise<Result>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        env: { ...process.env, STITCH_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.on('exit', (code) => resolve({ code, stdout, stderr: '' }));
    });
    assert.equal(result.code, 0, result.stdout);
    // Each redraw: carriage return, bar, every figure, erase-to-end-of-line.
    const status =
      /\r\[[#.]{20}\] epoch (\d)\/2 batch (\d+)\/(\d+) loss \d\.\d{4} acc \d\.\d{4} \d+ samples\/s ETA \d+s\x1b\[K/g;
    const redraws = [...result.stdout.matchAll(status)];
    assert.ok(redraws.length >= 2, JSON.stringify(result.stdout.slice(0, 600)));
    const batches = redraws[0][3];
    assert.ok(Number(batches) > 20 && redraws.every((m) => m[3] === batches));
    assert.ok(
      redraws.some((m) => m[1] === '2' && m[2] === batches),
      'the last batch of the last epoch is drawn',
    );
    // Permanent lines erase the status line first, so no figure is left half-overwritten.
    assert.match(result.stdout, /\r\x1b\[Kepoch 1\/2 {2}loss/);
    assert.match(result.stdout, /test accuracy: /);
  });

  test('serve --exit-with-stdin stops when its standard input closes (the process that spawned it died)', async () => {
    const server = await serve(
      ['--exit-with-stdin', '--runs-dir', join(dir, 'stdin-runs'), '--backend', 'cpu', '--workspace', dir],
      dir,
    );
    const exited = new Promise<number | null>((done) =>
      server.child.removeAllListeners('exit').on('exit', (code) => done(code)),
    );
    assert.equal((await fetch(`${server.url}/api/runs`)).status, 200);
    server.child.stdin!.end();
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 5000)),
    ]);
    assert.equal(code, 0, server.stderr());
    assert.match(server.stderr(), /standard input closed: stopping/);
  });

  test('train: SIGTERM cancels the run; a second Ctrl+C stops at once with the run failed; a closed stdout cancels it quietly', async () => {
    const file = join(dir, 'long.stitch.json');
    writeFileSync(file, JSON.stringify(spiralSchema({ epochs: 400, samples: 240, name: 'long' })));
    const term = await trainUntil(file, join(dir, 'term-runs'), (child) => child.kill('SIGTERM'));
    assert.equal(term.code, 1, term.stderr);
    assert.match(term.stdout, /run \S+ cancelled/);
    assert.deepEqual(term.states, ['cancelled']);

    const twice = await trainUntil(file, join(dir, 'quit-runs'), (child) => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 20);
    });
    assert.equal(twice.code, 130, twice.stderr);
    assert.deepEqual(twice.states, ['failed'], 'not left "running" in run.json');

    // `stitch train … | head -3`: the reader goes away.
    const piped = await trainUntil(file, join(dir, 'pipe-runs'), (child) => child.stdout!.destroy());
    assert.equal(piped.code, 1);
    assert.doesNotMatch(piped.stderr, /EPIPE|Unhandled|at /, piped.stderr);
    assert.deepEqual(piped.states, ['cancelled']);
  });

  test('serve prints exactly the listening line first, answers, and refuses a public host without a token', async () => {
    let url = '';
    const served = await stitch(['serve', '--port', '0', '--runs-dir', join(dir, 'runs')], dir, (text, kill) => {
      const line = /^Stitch server listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(text);
      if (!line || url) return;
      url = line[1];
      void fetch(`${url}/api/runs`).then(async (r) => {
        assert.equal(r.status, 200);
        // The runs of the train test are in this folder.
        assert.ok(((await r.json()) as { runs: unknown[] }).runs.length >= 2);
        kill();
      });
    });
    assert.ok(url, `no listening line in ${JSON.stringify(served.stdout)}`);
    assert.equal(served.stdout.split('\n')[0], `Stitch server listening on ${url}`);
    assert.match(served.stderr, /GET \/api\/runs 200/);
    const publicHost = await stitch(['serve', '--host', '0.0.0.0'], dir);
    assert.equal(publicHost.code, 2);
    assert.match(publicHost.stderr, /give it a token with --token or STITCH_TOKEN/);
  });
});
