/**
 * `/api/health`: what the extension checks while the server starts. It names the backend the server trains
 * with; when the backend the user forced cannot load, it says so as a 503 instead of a bare 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthResponse } from '../../../src/shared/protocol';
import { startTestServer } from '../serverHarness';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('health names the backend in use and the built-in datasets', async () => {
  const server = await startTestServer({ backend: 'cpu' });
  try {
    const response = await server.api('/api/health');
    assert.equal(response.status, 200);
    const body = (await response.json()) as HealthResponse;
    assert.equal(body.ok, true);
    assert.equal(body.backend, 'cpu');
    assert.equal(body.backend_detail, 'cpu');
    assert.ok(body.datasets.includes('mnist') && body.datasets.includes('spiral'));
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  } finally {
    await server.stop();
  }
});

test(
  'a forced backend that cannot load → 503 saying why and what to change, not a 500',
  { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' },
  async () => {
    const server = await startTestServer({ backend: 'tensorflow' });
    try {
      const response = await server.api('/api/health');
      assert.equal(response.status, 503);
      const { error } = (await response.json()) as { error: string };
      assert.match(error, /tensorflow backend was requested but cannot start/);
      assert.match(error, /tfjs-node/);
      assert.match(error, /stitch\.server\.backend/);
      assert.ok(!server.logs.some((l) => l.includes('internal error')), server.logs.join('\n'));
    } finally {
      await server.stop();
    }
  },
);
