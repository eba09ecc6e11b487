// The palette's pure parts (webview/editor/palette.ts): one-line descriptions and search over the registry.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LAYERS } from '../../src/shared/schema/layers';
import type { LayerType } from '../../src/shared/schema/types';
import { PALETTE_GROUPS, matchesSearch, summaryLine } from '../../webview/editor/paletteItems';

test('every layer has a one-line description without markdown', () => {
  for (const def of Object.values(LAYERS)) {
    const line = summaryLine(def.description);
    assert.ok(line.length > 5 && !line.includes('\n') && !line.includes('`'), `${def.type}: ${line}`);
  }
  assert.equal(summaryLine('Fully connected layer: output = activation(x). More.'), 'Fully connected layer');
});

test('search matches names, groups and descriptions; every word must match', () => {
  const hits = (q: string) => (Object.keys(LAYERS) as LayerType[]).filter((t) => matchesSearch(t, q));
  assert.deepEqual(hits('pool').sort(), ['averagePooling2d', 'globalAveragePooling2d', 'maxPooling2d']);
  assert.deepEqual(hits('merge'), ['add', 'concatenate']);
  assert.deepEqual(hits('residual'), ['add']);
  assert.deepEqual(hits('max pool'), ['maxPooling2d']);
  assert.equal(hits('').length, Object.keys(LAYERS).length);
  assert.deepEqual(hits('nothing-like-this'), []);
});

test('the groups cover every layer category once, in the order of the issue', () => {
  const categories = PALETTE_GROUPS.flatMap((g) => g.categories);
  assert.equal(new Set(categories).size, categories.length);
  for (const def of Object.values(LAYERS)) assert.ok(categories.includes(def.category), def.category);
  assert.deepEqual(
    PALETTE_GROUPS.map((g) => g.title),
    ['Core', 'Convolution', 'Pooling', 'Merge', 'Normalisation', 'Regularisation'],
  );
});
