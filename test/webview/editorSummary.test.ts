// The visual editor's model summary (webview/editor/snapshotSummary.ts): from the snapshot the editor draws,
// the same model.summary() table the schema core computes (and test/shared/summary.test.ts checks against tfjs).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSnapshot } from '../../src/extension/visualEditor/editorSnapshot';
import { analyzeSchemaText } from '../../src/shared/schema';
import { formatSummaryShape, modelSummary } from '../../src/shared/schema/summary';
import type { StitchSchema } from '../../src/shared/schema/types';
import { snapshotSummary } from '../../webview/editor/snapshotSummary';

const snap = (text: string) => buildSnapshot(text, analyzeSchemaText(text), 1, 'x.stitch.json');
const examplesDir = join(__dirname, '../../examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.stitch.json'))
  .map((f) => readFileSync(join(examplesDir, f), 'utf8'));

for (const text of examples) {
  const schema = JSON.parse(text) as StitchSchema;
  test(`${schema.name}: the editor's summary is the core's model.summary() table`, () => {
    const analysis = analyzeSchemaText(text);
    assert.ok(analysis.valid);
    const { table, partial } = snapshotSummary(snap(text));
    assert.equal(partial, false);
    assert.deepEqual(table, modelSummary(schema, analysis.shapes));
    assert.equal(table.total, analysis.params);
  });
}

test('batch normalization counts its moving mean and variance as non-trainable', () => {
  const text = JSON.stringify({
    version: 1,
    name: 'bn',
    input: { shape: [12, 12, 3] },
    layers: [
      { id: 'conv', type: 'conv2d', filters: 8, kernelSize: 3 },
      { id: 'bn', type: 'batchNormalization' },
      { id: 'gap', type: 'globalAveragePooling2d' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
  });
  const { table } = snapshotSummary(snap(text));
  assert.deepEqual(
    table.rows.map((r) => [r.id, r.className, formatSummaryShape(r.outputShape), r.params]),
    [
      ['conv', 'Conv2D', '(None, 10, 10, 8)', 3 * 3 * 3 * 8 + 8],
      ['bn', 'BatchNormalization', '(None, 10, 10, 8)', 4 * 8],
      ['gap', 'GlobalAveragePooling2D', '(None, 8)', 0],
      ['out', 'Dense', '(None, 2)', 8 * 2 + 2],
    ],
  );
  assert.equal(table.nonTrainable, 2 * 8);
  assert.equal(table.trainable, table.total - 16);
});

test('with a broken layer the summary marks it unknown and totals the layers it could infer', () => {
  const text = JSON.stringify({
    version: 1,
    name: 'broken',
    input: { shape: [4] },
    layers: [
      { id: 'hidden', type: 'dense', units: 3 },
      { id: 'bad', type: 'reshape', targetShape: [5] },
      { id: 'mystery', type: 'notALayer' },
    ],
  });
  const { table, partial } = snapshotSummary(snap(text));
  assert.equal(partial, true);
  assert.deepEqual(
    table.rows.map((r) => [r.id, r.className, formatSummaryShape(r.outputShape), r.params]),
    [
      ['hidden', 'Dense', '(None, 3)', 4 * 3 + 3],
      ['bad', 'Reshape', '?', 0],
      ['mystery', 'notALayer', '?', 0],
    ],
  );
  assert.equal(table.total, 15);
});

test('an empty schema has an empty summary', () => {
  const { table, partial } = snapshotSummary(snap(''));
  assert.deepEqual(table, { rows: [], total: 0, trainable: 0, nonTrainable: 0 });
  assert.equal(partial, false);
});
