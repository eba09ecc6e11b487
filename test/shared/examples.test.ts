/**
 * Every example in examples/ validates without problems, and the Iris CSV is the classic data set.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSchemaText, LAYER_TYPES, type DatasetSpec } from '../../src/shared/schema/index';
import { assertClean } from './helpers';

const dir = join(__dirname, '../../examples');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.stitch.json'))
  .sort();

/** Reads a CSV dataset the way the server describes it: features = the other columns, classes = distinct labels. */
function csvInfo(spec: DatasetSpec) {
  if (typeof spec !== 'object' || !('csv' in spec)) return undefined;
  const [header, ...rows] = readFileSync(join(dir, spec.csv), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const label = header.indexOf(spec.label);
  assert.ok(label >= 0, `the CSV has a "${spec.label}" column`);
  return { inputShape: [header.length - 1], classes: new Set(rows.map((r) => r[label])).size };
}

describe('examples', () => {
  test('the expected examples exist', () => {
    for (const name of ['mnist-mlp', 'mnist-cnn', 'fashion-cnn', 'spiral', 'residual-cnn', 'iris']) {
      assert.ok(files.includes(`${name}.stitch.json`), `${name}.stitch.json`);
    }
  });

  for (const file of files) {
    test(`${file} validates cleanly, with a name and a description`, () => {
      const source = readFileSync(join(dir, file), 'utf8');
      const analysis = analyzeSchemaText(source, { datasetInfo: csvInfo });
      assertClean(analysis);
      assert.equal(analysis.schema!.name, file.replace('.stitch.json', ''));
      assert.ok((analysis.schema!.description ?? '').length > 20);
      assert.ok(analysis.params > 0);
      assert.doesNotThrow(() => JSON.parse(source), 'plain JSON, no comments');
      assert.match(source, /^\{\n {2}"version": 1,/, '2-space JSON');
    });
  }

  test('mnist-mlp trains on the whole training set and mnist-cnn is the Keras convnet', () => {
    const mlp = JSON.parse(readFileSync(join(dir, 'mnist-mlp.stitch.json'), 'utf8'));
    assert.equal(mlp.training.maxSamples, undefined);
    assert.equal(mlp.training.dataset, 'mnist');
    const cnn = analyzeSchemaText(readFileSync(join(dir, 'mnist-cnn.stitch.json'), 'utf8'));
    assert.equal(cnn.params, 34826);
  });

  test('residual-cnn is a graph with add', () => {
    const schema = JSON.parse(readFileSync(join(dir, 'residual-cnn.stitch.json'), 'utf8'));
    assert.ok(
      schema.layers.some((l: { type: string; inputs?: string[] }) => l.type === 'add' && (l.inputs?.length ?? 0) >= 2),
    );
  });

  test("iris.csv is Fisher's 150 flowers (known column sums and class means)", () => {
    const [header, ...rows] = readFileSync(join(dir, 'data/iris.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    assert.deepEqual(header, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
    assert.equal(rows.length, 150);
    const sums = [0, 1, 2, 3].map((c) => Math.round(rows.reduce((a, r) => a + Number(r[c]), 0) * 10) / 10);
    assert.deepEqual(sums, [876.5, 458.6, 563.7, 179.9]);
    const means: Record<string, number[]> = {
      setosa: [5.006, 3.428, 1.462, 0.246],
      versicolor: [5.936, 2.77, 4.26, 1.326],
      virginica: [6.588, 2.974, 5.552, 2.026],
    };
    for (const [species, expected] of Object.entries(means)) {
      const group = rows.filter((r) => r[4] === species);
      assert.equal(group.length, 50);
      const got = [0, 1, 2, 3].map((c) => Math.round((group.reduce((a, r) => a + Number(r[c]), 0) / 50) * 1000) / 1000);
      assert.deepEqual(got, expected, species);
    }
  });

  test('the examples use most layer types between them', () => {
    const used = new Set(
      files.flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).layers.map((l: { type: string }) => l.type)),
    );
    assert.ok(used.size >= 7, `used ${[...used].join(', ')} of ${LAYER_TYPES.length}`);
  });
});
