import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatePredictions } from '../../src/shared/evaluation';

test('confusion matrix, per-class precision/recall/F1 and accuracy match a hand-computed case', () => {
  // 3 classes, 8 samples. Rows: probabilities; labels below.
  const p = [
    0.8,
    0.1,
    0.1, // label 0 → 0
    0.6,
    0.3,
    0.1, // label 0 → 0
    0.2,
    0.7,
    0.1, // label 0 → 1 (wrong, 0.7)
    0.1,
    0.8,
    0.1, // label 1 → 1
    0.05,
    0.9,
    0.05, // label 2 → 1 (wrong, 0.9)
    0.1,
    0.2,
    0.7, // label 2 → 2
    0.3,
    0.3,
    0.4, // label 2 → 2
    0.5,
    0.25,
    0.25, // label 1 → 0 (wrong, 0.5)
  ];
  const labels = [0, 0, 0, 1, 2, 2, 2, 1];
  const e = evaluatePredictions(p, labels, 3, { classNames: ['a', 'b', 'c'], loss: 0.5, examples: 2, perCell: 1 });
  assert.deepEqual(e.confusion, [
    [2, 1, 0],
    [1, 1, 0],
    [0, 1, 2],
  ]);
  assert.equal(e.accuracy, 5 / 8);
  // a: precision 2/3, recall 2/3; b: precision 1/3, recall 1/2; c: precision 2/2, recall 2/3.
  const [a, b, c] = e.per_class;
  assert.deepEqual([a.precision, a.recall, a.support], [2 / 3, 2 / 3, 3]);
  assert.deepEqual([b.precision, b.recall, b.support], [1 / 3, 1 / 2, 2]);
  assert.deepEqual([c.precision, c.recall, c.support], [1, 2 / 3, 3]);
  assert.ok(Math.abs((b.f1 ?? 0) - 0.4) < 1e-12);
  assert.ok(Math.abs((c.f1 ?? 0) - 0.8) < 1e-12);
  assert.ok(Math.abs((e.macro.recall ?? 0) - (2 / 3 + 1 / 2 + 2 / 3) / 3) < 1e-12);
  // The most confidently wrong first: sample 4 (0.9), then sample 2 (0.7); then correct ones.
  assert.deepEqual(
    e.examples.slice(0, 2).map((x) => x.index),
    [4, 2],
  );
  assert.ok(e.examples.slice(2).every((x) => x.label === x.prediction));
  assert.deepEqual(e.cells['2,1'], [4]);
  assert.deepEqual(e.cells['0,0'], [0]);
  assert.equal(e.loss, 0.5);
});

test('a class never predicted has no precision; a class never present has no recall', () => {
  const e = evaluatePredictions([0.9, 0.1, 0, 0.8, 0.2, 0], [0, 1], 3);
  assert.equal(e.per_class[1].precision, null);
  assert.equal(e.per_class[1].recall, 0);
  assert.equal(e.per_class[2].recall, null);
  assert.equal(e.per_class[2].f1, null);
  assert.deepEqual(e.classes, ['0', '1', '2']);
});
