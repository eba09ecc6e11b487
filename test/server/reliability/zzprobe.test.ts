import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveProcess } from './cliProcess';
import { loopBlocks } from './stalls';

test('probe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const server = await serveProcess(['--runs-dir', join(dir, 'runs'), '--data-dir', join(dir, 'data'), '--workspace', dir, '--backend', 'cpu'], dir, { STITCH_DEBUG_LOOP: '1' });
  const layers = Array.from({ length: 250_000 }, (_, i) => ({ id: `a${i}`, type: 'dense', units: 1 }));
  const bodies = {
    chat: JSON.stringify({ message: 'hi', currentSchema: { version: 1, input: { shape: [2] }, layers } }),
    original: JSON.stringify({ message: 'hi', architecture: layers.map((l) => ({ id: l.id, type: 'Dense', params: { units: 1 } })), hyperparams: {} }),
  };
  for (const [name, body] of Object.entries(bodies)) {
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const text = await r.text();
      console.log(name, body.length, r.status, (performance.now() - t0).toFixed(0), 'ms', text.slice(0, 150).replace(/\n/g, ' '));
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  for (const b of loopBlocks(server.logLines())) console.log(b.line);
  server.child.kill();
});
