// The Evaluate views' pure parts (webview/evaluation/*): the confusion heat map's row-normalised cells and
// labels, the per-class table's formatting and sorting, the gallery's byte → RGBA conversion and captions,
// and the model summary table. The evaluation comes from a real run of the real server and trainer.
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePredictions, type ClassMetrics, type Evaluation } from '../../src/shared/evaluation';
import { analyzeSchema } from '../../src/shared/schema/analyze';
import { modelSummary } from '../../src/shared/schema/summary';
import type { StitchSchema } from '../../src/shared/schema/types';
import { cellBackground, confusionCells } from '../../webview/evaluation/confusionCells';
import { formatCell, formatPercent, nextSort, sortClasses } from '../../webview/evaluation/classRows';
import { bytesToRgba, caption, decodeBase64, formatFeatures } from '../../webview/evaluation/examples';
import { formatCount, summaryRows, summaryTotals } from '../../webview/evaluation/summaryRows';
import {
  readEvents,
  spiralSchema,
  startTestServer,
  submit,
  waitForState,
  type TestServer,
} from '../server/serverHarness';

describe('views of a real run’s evaluation', () => {
  let server: TestServer;
  let evaluation: Evaluation;
  before(async () => {
    server = await startTestServer();
    const runId = await submit(server, spiralSchema({ epochs: 2, samples: 160 }));
    await waitForState(server, runId, ['succeeded']);
    const event = (await readEvents(server, runId)).find((e) => e.event === 'evaluation');
    assert.ok(event?.event === 'evaluation', 'a succeeded run sends its evaluation');
    evaluation = event.data;
  });
  after(() => server.stop());

  test('the heat map has a cell per confusion entry whose counts and row intensities match', () => {
    const cells = confusionCells(evaluation.confusion, evaluation.classes);
    assert.equal(cells.length, evaluation.classes.length);
    cells.forEach((row, t) => {
      const total = evaluation.confusion[t].reduce((a, b) => a + b, 0);
      const sum = row.reduce((a, c) => a + c.intensity, 0);
      assert.ok(total === 0 ? sum === 0 : Math.abs(sum - 1) < 1e-9, `row ${String(t)} intensities sum to 1`);
      for (const cell of row) {
        assert.equal(cell.count, evaluation.confusion[t][cell.predicted]);
        // Every key with samples in `cells` is a cell the user can click.
        if (evaluation.cells[cell.key]?.length) assert.ok(cell.count > 0, cell.key);
      }
    });
    const samples = cells.flat().reduce((a, c) => a + c.count, 0);
    assert.equal(samples, evaluation.samples);
  });

  test('each example gets a caption that says whether, and how, it is wrong', () => {
    assert.ok(evaluation.examples.length > 0);
    for (const sample of evaluation.examples) {
      const c = caption(sample, evaluation.classes);
      assert.equal(c.wrong, sample.label !== sample.prediction);
      assert.match(c.label, new RegExp(`Test sample ${String(sample.index)}: `));
      assert.ok(
        sample.features && formatFeatures(sample.features).split(', ').length === 2,
        'spiral points show two features',
      );
    }
  });
});

test('confusion cells: row-normalised intensity, accessible labels, colour by correctness', () => {
  const cells = confusionCells(
    [
      [8, 2, 0],
      [0, 0, 0],
      [1, 12, 3],
    ],
    ['0', '1', '2'],
  );
  assert.deepEqual(
    cells[0].map((c) => c.intensity),
    [0.8, 0.2, 0],
  );
  assert.deepEqual(
    cells[1].map((c) => c.intensity),
    [0, 0, 0],
    'an empty row is blank, not NaN',
  );
  assert.equal(cells[2][1].key, '2,1');
  assert.equal(cells[2][1].label, 'true 2, predicted 1: 12 samples');
  assert.equal(cells[2][0].label, 'true 2, predicted 0: 1 sample');
  assert.equal(cellBackground(cells[0][2]), 'transparent');
  assert.match(cellBackground(cells[0][0]), /var\(--vscode-charts-green\) 51%/);
  assert.match(cellBackground(cells[2][1]), /var\(--vscode-charts-red\) 49%/);
});

test('class table: percentages with — for undefined, sorting with nulls last and numeric names', () => {
  // Class 2 is never predicted: its precision is null (docs/evaluation.md).
  const evaluation = evaluatePredictions([0.9, 0.1, 0, 0.2, 0.8, 0, 0.6, 0.4, 0, 0.1, 0.7, 0.2], [0, 1, 2, 1], 3, {
    classNames: ['10', '2', '1'],
  });
  const rows = evaluation.per_class;
  assert.equal(formatCell(rows[2], 'precision'), '—');
  assert.equal(formatCell(rows[2], 'recall'), '0.0%');
  assert.equal(formatCell(rows[1], 'support'), '2');
  assert.equal(formatPercent(0.87654), '87.7%');
  const names = (r: ClassMetrics[]): string[] => r.map((x) => x.name);
  assert.deepEqual(names(sortClasses(rows, { column: 'name', descending: false })), ['1', '2', '10']);
  assert.deepEqual(
    names(sortClasses(rows, { column: 'precision', descending: false })),
    ['10', '2', '1'],
    'precision 0.5, 1, null',
  );
  assert.deepEqual(
    names(sortClasses(rows, { column: 'precision', descending: true })),
    ['2', '10', '1'],
    'null last both ways',
  );
  assert.deepEqual(names(sortClasses(rows, { column: 'f1', descending: false })).at(-1), '1');
  assert.deepEqual(nextSort({ column: 'f1', descending: false }, 'f1'), { column: 'f1', descending: true });
  assert.deepEqual(nextSort({ column: 'f1', descending: true }, 'recall'), { column: 'recall', descending: false });
});

test('gallery bytes: grey and RGB to RGBA, and a clear error for a wrong size', () => {
  const grey = bytesToRgba(decodeBase64(Buffer.from([0, 128, 255, 7]).toString('base64')), 2, 2, 1);
  assert.deepEqual([...grey], [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 7, 7, 7, 255]);
  const rgb = bytesToRgba(Uint8Array.from([1, 2, 3, 4, 5, 6]), 2, 1, 3);
  assert.deepEqual([...rgb], [1, 2, 3, 255, 4, 5, 6, 255]);
  assert.throws(() => bytesToRgba(Uint8Array.from([1, 2, 3]), 2, 2, 1), /expected 4 bytes for 2×2×1, got 3/);
  assert.throws(() => bytesToRgba(Uint8Array.from([1, 2]), 1, 1, 2), /expected 1, 3 or 4/);
  const wrong = caption({ index: 4, label: 3, prediction: 5, confidence: 0.974 }, [
    '0',
    '1',
    '2',
    'three',
    '4',
    'five',
  ]);
  assert.deepEqual(wrong, {
    wrong: true,
    text: 'five (not three) 97%',
    label: 'Test sample 4: predicted five with 97% confidence, but it is three',
  });
  assert.equal(formatFeatures([1, 0.123, -3.5, 2, 9]), '1, 0.12, -3.50, 2, …');
});

test('summary table: the MNIST CNN’s rows and totals as model.summary() prints them', () => {
  const schema = JSON.parse(
    readFileSync(join(__dirname, '../../examples/mnist-cnn.stitch.json'), 'utf8'),
  ) as StitchSchema;
  const analysis = analyzeSchema(schema);
  const table = modelSummary(schema, analysis.shapes);
  const rows = summaryRows(table);
  assert.equal(rows.length, schema.layers.length);
  assert.match(rows[0][0], new RegExp(`^${schema.layers[0].id} \\(Conv2D\\)$`));
  assert.match(rows[0][1], /^\(None, \d+, \d+, \d+\)$/);
  assert.equal(summaryTotals(table)[0][1], formatCount(table.total));
  assert.equal(formatCount(1234567), '1,234,567');
});
