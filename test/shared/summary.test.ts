import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeSchema } from '../../src/shared/schema/analyze';
import { formatSummary, modelSummary } from '../../src/shared/schema/summary';
import type { StitchSchema } from '../../src/shared/schema/types';
import { buildModel } from '../../src/server/training/model';

const withBatchNorm: StitchSchema = {
  version: 1,
  name: 'bn',
  input: { shape: [12, 12, 3] },
  layers: [
    { id: 'conv', type: 'conv2d', filters: 8, kernelSize: 3 },
    { id: 'bn', type: 'batchNormalization' },
    { id: 'sep', type: 'separableConv2d', filters: 4, kernelSize: 3, depthMultiplier: 2 },
    { id: 'gap', type: 'globalAveragePooling2d' },
    { id: 'bn2', type: 'batchNormalization', center: false },
    { id: 'out', type: 'dense', units: 3, activation: 'softmax' },
  ],
};

const examples = readdirSync(join(__dirname, '../../examples'))
  .filter((f) => f.endsWith('.stitch.json'))
  .map((f) => JSON.parse(readFileSync(join(__dirname, '../../examples', f), 'utf8')) as StitchSchema);

for (const schema of [withBatchNorm, ...examples]) {
  test(`${schema.name}: the summary matches the built tfjs model (shapes, params, trainable and non-trainable)`, () => {
    const analysis = analyzeSchema(schema);
    assert.ok(analysis.valid);
    const table = modelSummary(schema, analysis.shapes);
    const model = buildModel(schema);
    const count = (ws: tf.LayerVariable[]): number =>
      ws.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);
    assert.equal(table.total, model.countParams());
    assert.equal(table.trainable, count(model.trainableWeights));
    assert.equal(table.nonTrainable, count(model.nonTrainableWeights));
    for (const row of table.rows) {
      const layer = model.getLayer(row.id);
      assert.equal(row.params, layer.countParams(), row.id);
      assert.deepEqual(row.outputShape, (layer.outputShape as number[]).slice(1), row.id);
      assert.equal(row.className, layer.getClassName(), row.id);
    }
    model.dispose();
  });
}

test('formatSummary prints model.summary()-style lines with totals', () => {
  const text = formatSummary(modelSummary(withBatchNorm, analyzeSchema(withBatchNorm).shapes), 'bn');
  assert.match(text, /^Model: "bn"/);
  assert.match(text, /conv \(Conv2D\) +\(None, 10, 10, 8\) +224/);
  assert.match(text, /Non-trainable params: 24\b/);
});
