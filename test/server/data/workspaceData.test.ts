import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { limitDataset, loadDataset } from '../../../src/server/data/index';
import type { DatasetContext } from '../../../src/server/data/types';
import { isInside } from '../../../src/server/data/paths';
import { mnistLike } from './helpers';

let root: string;
let outside: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'stitch-ws-'));
  outside = mkdtempSync(join(tmpdir(), 'stitch-outside-'));
  mkdirSync(join(root, 'models'));
  mkdirSync(join(root, 'data'));
  const rows = ['sepal,petal,species'];
  for (let i = 0; i < 20; i++) rows.push(`${i / 10},${(20 - i) / 10},${['setosa', 'virginica', 'versicolor'][i % 3]}`);
  writeFileSync(join(root, 'data', 'iris.csv'), rows.join('\n') + '\n');
  writeFileSync(join(root, 'data', 'bad.csv'), 'a,b,label\n1,2,x\n3,oops,y\n');
  writeFileSync(join(root, 'data', 'short.csv'), 'a,b,label\n1,2,x\n\n3,y\n');
  writeFileSync(join(outside, 'secret.csv'), 'a,label\n1,x\n2,y\n');
  symlinkSync(join(outside, 'secret.csv'), join(root, 'data', 'link.csv'));
  const train = mnistLike(20);
  const held = mnistLike(5);
  writeFileSync(join(root, 'data', 'imgs'), train.images);
  writeFileSync(join(root, 'data', 'lbls.gz'), train.labelsGz);
  writeFileSync(join(root, 'data', 'test-imgs'), held.images);
  writeFileSync(join(root, 'data', 'test-lbls'), held.labels);
});

after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** Schemas live in `<root>/models`, so dataset paths are relative to it. */
function context(): DatasetContext {
  return {
    baseDir: join(root, 'models'),
    workspaceRoot: root,
    cacheDir: join(root, '.cache'),
    baseUrl: null,
    seed: 7,
    log: () => {
      // The test reads no log lines.
    },
  };
}

describe('CSV datasets', () => {
  test('numeric features, string labels as sorted class indices, a seeded test hold-out', async () => {
    const data = await loadDataset({ csv: '../data/iris.csv', label: 'species' }, context());
    assert.deepEqual(data.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(data.inputShape, [2]);
    assert.equal(data.numClasses, 3);
    assert.equal(data.train.count + data.test.count, 20);
    assert.equal(data.test.count, 4);
    // Every sample keeps its row's label: row i has sepal i/10 and class (setosa, virginica, versicolor)[i % 3].
    const expected = [0, 2, 1];
    for (let k = 0; k < data.train.count; k++) {
      const row = Math.round(data.train.x[k * 2] * 10);
      assert.equal(data.train.labels[k], expected[row % 3]);
    }
    const again = await loadDataset({ csv: '../data/iris.csv', label: 'species' }, context());
    assert.deepEqual(Array.from(again.test.x), Array.from(data.test.x));
  });

  test('a bad value names its line and column', async () => {
    await assert.rejects(
      loadDataset({ csv: '../data/bad.csv', label: 'label' }, context()),
      /line 3: column "b" is "oops", not a number/,
    );
    await assert.rejects(
      loadDataset({ csv: '../data/short.csv', label: 'label' }, context()),
      /line 4: 2 values but the header has 3 columns/,
    );
    await assert.rejects(
      loadDataset({ csv: '../data/iris.csv', label: 'kind' }, context()),
      /no column "kind".*sepal, petal, species/,
    );
  });

  test('paths that leave the workspace are refused', async () => {
    await assert.rejects(
      loadDataset({ csv: `../../${basename(outside)}/secret.csv`, label: 'label' }, context()),
      /outside the workspace/,
    );
    await assert.rejects(
      loadDataset({ csv: join(outside, 'secret.csv'), label: 'label' }, context()),
      /outside the workspace/,
    );
    await assert.rejects(loadDataset({ csv: '../data/link.csv', label: 'label' }, context()), /outside the workspace/);
    await assert.rejects(loadDataset({ csv: '../data/missing.csv', label: 'label' }, context()), /does not exist/);
  });
});

describe('isInside', () => {
  test('only a ".." segment leaves the root; names that start with two dots stay inside', () => {
    assert.equal(isInside('/ws', '/ws'), true);
    assert.equal(isInside('/ws', '/ws/..data/x.csv'), true);
    assert.equal(isInside('/ws', '/ws/data/../x.csv'), true);
    assert.equal(isInside('/ws', '/ws/../x.csv'), false);
    assert.equal(isInside('/ws', '/'), false);
    assert.equal(isInside('/ws', '/wsx/file'), false);
  });
});

describe('IDX datasets from the workspace', () => {
  test('with explicit test files (plain and gzipped)', async () => {
    const data = await loadDataset(
      {
        idx: {
          images: '../data/imgs',
          labels: '../data/lbls.gz',
          testImages: '../data/test-imgs',
          testLabels: '../data/test-lbls',
        },
      },
      context(),
    );
    assert.equal(data.train.count, 20);
    assert.equal(data.test.count, 5);
    assert.deepEqual(data.inputShape, [28, 28, 1]);
    assert.equal(data.numClasses, 10);
  });

  test('without test files, 20 % is held out', async () => {
    const data = await loadDataset({ idx: { images: '../data/imgs', labels: '../data/lbls.gz' } }, context());
    assert.equal(data.test.count, 4);
    assert.equal(data.train.count, 16);
  });

  test('mismatched counts are reported', async () => {
    await assert.rejects(
      loadDataset({ idx: { images: '../data/imgs', labels: '../data/test-lbls' } }, context()),
      /20 images but .* 5 labels/,
    );
  });
});

describe('synthetic datasets and limits', () => {
  test('the same seed gives the same points; samples and noise are honored', async () => {
    for (const name of ['spiral', 'xor', 'circle', 'gaussian'] as const) {
      const a = await loadDataset({ name, samples: 200, noise: 0.2 }, context());
      const b = await loadDataset({ name, samples: 200, noise: 0.2 }, context());
      assert.deepEqual(Array.from(a.train.x), Array.from(b.train.x), `${name} is seeded`);
      assert.equal(a.train.count + a.test.count, 200);
      const ones = Array.from(a.train.labels).filter((l) => l === 1).length;
      assert.ok(ones > a.train.count * 0.3 && ones < a.train.count * 0.7, `${name} has both classes`);
      const quiet = await loadDataset({ name, samples: 200, noise: 0 }, context());
      assert.notDeepEqual(Array.from(quiet.train.x), Array.from(a.train.x), `${name} noise changes the points`);
    }
    await assert.rejects(loadDataset({ name: 'spiral', noise: 3 }, context()), /noise must be between 0 and 1/);
  });

  test('maxSamples and testSamples cut the data', async () => {
    const data = await loadDataset({ name: 'circle', samples: 500 }, context());
    const limited = limitDataset(data, { maxSamples: 50, testSamples: 10, seed: 1 });
    assert.equal(limited.train.count, 50);
    assert.equal(limited.test.count, 10);
    assert.equal(limited.train.x.length, 100);
  });
});
