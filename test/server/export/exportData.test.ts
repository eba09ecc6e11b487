/**
 * The export's train.py data holds the samples the run trained on. The trainer reads a workspace IDX file only
 * as far as `maxSamples` can use and picks from what it read (the first samples with `shuffle: false`); the
 * export once loaded the whole file and picked its own subset. Each image here is filled with its own index,
 * so the exported samples say which ones they are.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ExportResponse } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { decodeSafetensors } from '../../../src/server/export/safetensors';
import { startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

const SIDE = 4;

/** An IDX pair of `count` 4×4 images, image n filled with the value n, labelled n % 2. */
function writeIdx(dir: string, prefix: string, count: number): void {
  const images = Buffer.alloc(16 + count * SIDE * SIDE);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(SIDE, 8);
  images.writeUInt32BE(SIDE, 12);
  for (let n = 0; n < count; n++) images.fill(n, 16 + n * SIDE * SIDE, 16 + (n + 1) * SIDE * SIDE);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let n = 0; n < count; n++) labels[8 + n] = n % 2;
  writeFileSync(join(dir, `${prefix}-images.idx`), images);
  writeFileSync(join(dir, `${prefix}-labels.idx`), labels);
}

function schema(
  name: string,
  training: Partial<NonNullable<StitchSchema['training']>>,
  testFiles: boolean,
): StitchSchema {
  return {
    version: 1,
    name,
    input: { shape: [SIDE, SIDE, 1] },
    layers: [
      { id: 'flat', type: 'flatten' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
    training: {
      dataset: {
        idx: {
          images: 'train-images.idx',
          labels: 'train-labels.idx',
          ...(testFiles ? { testImages: 'test-images.idx', testLabels: 'test-labels.idx' } : {}),
        },
      },
      epochs: 1,
      batchSize: 4,
      seed: 11,
      ...training,
    },
  };
}

/** Which images (by the value they are filled with) the export's train split holds, in order. */
async function exportedTrainSamples(server: TestServer, runId: string): Promise<number[]> {
  const response = await server.api(`/api/runs/${runId}/export`, { method: 'POST', json: { format: 'pytorch' } });
  assert.equal(response.status, 200, await response.clone().text());
  const { files } = (await response.json()) as ExportResponse;
  const data = files.find((f) => f.path === 'data/dataset.safetensors');
  assert.ok(data, 'the export has its data');
  const x = decodeSafetensors(Buffer.from(data.base64, 'base64')).tensors.get('x_train');
  assert.ok(x);
  const per = SIDE * SIDE;
  return Array.from({ length: x.shape[0] }, (_, n) => {
    const v = x.data[n * per];
    return x.dtype === 'U8' ? v : Math.round(v * 255);
  });
}

let server: TestServer;
before(async () => {
  server = await startTestServer({ backend: 'cpu' });
  writeIdx(server.dir, 'train', 200);
  writeIdx(server.dir, 'test', 20);
});
after(() => server.stop());

async function trained(s: StitchSchema): Promise<string> {
  const runId = await submit(server, s);
  assert.equal(await waitForState(server, runId, ['succeeded', 'failed'], 60_000), 'succeeded', server.logs.join('\n'));
  return runId;
}

test('shuffle false: the export holds the first maxSamples images, in order, as the trainer used them', async () => {
  const runId = await trained(schema('first', { maxSamples: 10, shuffle: false }, true));
  assert.deepEqual(await exportedTrainSamples(server, runId), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('without test files: the export picks among the samples the trainer read (maxSamples / 0.8), not the whole file', async () => {
  const runId = await trained(schema('held-out', { maxSamples: 10 }, false));
  const samples = await exportedTrainSamples(server, runId);
  assert.equal(samples.length, 10);
  // The trainer reads ceil(10 / 0.8) = 13 images and holds a fifth of them out for testing.
  assert.ok(
    samples.every((n) => n < 13),
    `exported images ${samples.join(', ')}; the trainer read only images 0–12`,
  );
});
