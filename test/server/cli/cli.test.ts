/**
 * The `stitch` command as a user runs it: a real process (the TypeScript entry through tsx), real files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spiralSchema } from '../serverHarness';

const CLI = join(__dirname, '../../../src/server/cli.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Result { code: number | null; stdout: string; stderr: string }

function stitch(args: string[], cwd: string, onStdout?: (text: string, kill: () => void) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { ...process.env, STITCH_TOKEN: '' } });
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

describe('stitch CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stitch-cli-'));
    writeFileSync(join(dir, 'spiral.stitch.json'), JSON.stringify(spiralSchema({ epochs: 3, samples: 240 }), null, 2));
    writeFileSync(join(dir, 'broken.stitch.json'), [
      '{',
      '  "version": 1,',
      '  "input": { "shape": [2] },',
      '  "layers": [',
      '    { "id": "h1", "type": "dense", "units": -3 },',
      '    { "id": "out", "type": "denze", "units": 2 }',
      '  ],',
      '  "training": { "dataset": "spiral" }',
      '}',
    ].join('\n'));
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

  test('train on a tiny spiral exits 0 and prints epochs and the test accuracy; --min-accuracy 1.01 exits 1', async () => {
    const args = ['train', 'spiral.stitch.json', '--runs-dir', join(dir, 'runs'), '--backend', 'cpu'];
    const ok = await stitch(args, dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^epoch 3\/3 {2}loss \d\.\d{4}/m);
    assert.match(ok.stdout, /^test accuracy: (0|1)\.\d{4} {2}test loss: \d+\.\d{4} {2}\(48 samples\)$/m);
    assert.match(ok.stdout, /^model: .*runs.*model$/m);
    const strict = await stitch([...args, '--min-accuracy', '1.01', '--epochs', '1'], dir);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /^epoch 1\/1 /m);
    assert.match(strict.stdout, /is below --min-accuracy 1\.01/);
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
