/**
 * `stitch train --server URL` against a server that accepts connections and never answers (stuck, or not a
 * Stitch server): the start gives up after its timeout with a message, and Ctrl+C ends the wait at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../../../src/server/cli/train';
import { spiralSchema } from '../serverHarness';

let stuck: Server;
let url: string;
let dir: string;
const sockets: Socket[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stitch-stuck-'));
  writeFileSync(join(dir, 'spiral.stitch.json'), JSON.stringify(spiralSchema()));
  stuck = createServer((socket) => sockets.push(socket)); // reads the request, never answers
  await new Promise<void>((done) => stuck.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(stuck.address() as { port: number }).port}`;
});
after(() => {
  for (const socket of sockets) socket.destroy();
  stuck.close();
  rmSync(dir, { recursive: true, force: true });
});

function train(extra: { interrupt?: AbortSignal; requestTimeoutMs?: number }) {
  const errors: string[] = [];
  const started = Date.now();
  return trainCommand({
    file: join(dir, 'spiral.stitch.json'),
    server: url,
    out: { write: () => undefined, isTTY: false },
    err: (line) => errors.push(line),
    ...extra,
  }).then((code) => ({ code, errors, ms: Date.now() - started }));
}

test('a server that never answers: the start gives up after its timeout, saying so', async () => {
  const { code, errors, ms } = await train({ requestTimeoutMs: 300 });
  assert.equal(code, 1);
  assert.match(errors.join('\n'), /did not answer the start of the run within 0\.3 s; is it stuck\?/);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('Ctrl+C while waiting for the start ends the wait at once', async () => {
  const interrupt = new AbortController();
  setTimeout(() => interrupt.abort(), 200);
  const { code, errors, ms } = await train({ interrupt: interrupt.signal });
  assert.equal(code, 1);
  assert.match(errors.join('\n'), /interrupted while the run was being created/);
  assert.ok(ms < 5000, `took ${ms} ms (the default timeout is 60 s)`);
});
