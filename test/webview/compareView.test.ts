// The Compare Runs page (webview/compare/*): its rows computed in Node, and the whole page booted in a real
// Chromium as the webview boots it (bundled with esbuild, `acquireVsCodeApi` standing in for VS Code's
// channel), fed the host's `compare` message, read and clicked.
import { test, before, after, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MetricEvent, RunDetail } from '../../src/shared/protocol';
import { finalRows, hyperparamRows, seriesOf } from '../../webview/compare/compareModel';

function metric(epoch: number, loss: number, acc: number): MetricEvent {
  const base = { epochs: 3, learning_rate: 0.01, epoch_time: 1, samples_per_sec: 100, progress: epoch / 3 };
  return {
    ...base,
    epoch,
    train_loss: loss,
    val_loss: loss + 0.1,
    train_accuracy: acc,
    val_accuracy: acc - 0.05,
    eta_seconds: 0,
  };
}

function run(id: string, created: string, lr: number, units: number, epochs: number, test: number): RunDetail {
  return {
    run_id: id,
    name: `xor ${id}`,
    state: 'succeeded',
    backend: 'cpu',
    created_at: created,
    started_at: created,
    finished_at: created,
    error: null,
    epochs_done: epochs,
    epochs,
    best_val_accuracy: 0.9,
    test: { loss: 0.2, accuracy: test, samples: 40 },
    model_id: id,
    schema_path: null,
    schema: {
      version: 1,
      input: { shape: [2] },
      layers: [
        { id: 'h', type: 'dense', units, activation: 'relu' },
        { id: 'o', type: 'dense', units: 2, activation: 'softmax' },
      ],
      training: {
        dataset: { name: 'xor', samples: 200 },
        epochs,
        batchSize: 16,
        optimizer: { type: 'adam', learningRate: lr },
      },
    },
    metrics: Array.from({ length: epochs }, (_, i) => metric(i + 1, 1 / (i + 1), 0.5 + i * 0.1)),
    evaluation: null,
  };
}

const A = run('20260101-000000-aaaaaa', '2026-01-01T00:00:00Z', 0.01, 8, 3, 0.875);
const B = run('20260102-000000-bbbbbb', '2026-01-02T00:00:00Z', 0.05, 8, 2, 0.925);

describe('compare rows', () => {
  test('hyperparameters: every setting of either run, the differing ones marked', () => {
    const rows = hyperparamRows(A, B);
    const differing = rows.filter((r) => r.differs).map((r) => r.key);
    assert.deepEqual(differing, ['epochs', 'optimizer.learningRate']);
    assert.deepEqual(rows.find((r) => r.key === 'optimizer.learningRate')?.values, ['0.01', '0.05']);
    assert.deepEqual(rows.find((r) => r.key === 'layers')?.values, [
      'dense(8, relu) → dense(2, softmax)',
      'dense(8, relu) → dense(2, softmax)',
    ]);
    const wider = run('c', '2026-01-03T00:00:00Z', 0.01, 16, 3, 0.9);
    assert.ok(hyperparamRows(A, wider).find((r) => r.key === 'layers')?.differs);
  });

  test('final figures: last epoch train/validation and the test result, labelled; curves by epoch', () => {
    const rows = finalRows(A, B);
    assert.deepEqual(
      rows.map((r) => [r.label, r.values.map((v) => (v === null ? null : Math.round(v * 1000) / 1000))]),
      [
        ['train accuracy', [0.7, 0.6]],
        ['validation accuracy', [0.65, 0.55]],
        ['test accuracy', [0.875, 0.925]],
        ['train loss', [0.333, 0.5]],
        ['validation loss', [0.433, 0.6]],
        ['test loss', [0.2, 0.2]],
      ],
    );
    assert.deepEqual(seriesOf(A).epoch.x, [1, 2, 3]);
    assert.deepEqual(seriesOf(B).epoch.trainAcc, [0.5, 0.6]);
  });
});

describe('compare page in Chromium', () => {
  let browser: Browser;
  let page: Page;
  before(async () => {
    const bundle = await build({
      stdin: {
        contents: `import { startCompare } from './webview/compare/compareApp';
          window.posted = [];
          window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => undefined, setState: () => undefined });
          startCompare(document.getElementById('app'));`,
        resolveDir: join(__dirname, '../..'),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      write: false,
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(
      '<!doctype html><body data-view="compare" style="--vscode-charts-blue:#1a85ff;--vscode-charts-orange:#d18616"><div id="app"></div></body>',
    );
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    assert.deepEqual(errors, []);
  });
  after(() => browser.close());
  // Page-side code is passed as strings: the root tsconfig has no DOM types.
  const inPage = <T>(expression: string): Promise<T> => page.evaluate<T>(expression);

  test('says ready, draws both runs in their colours, marks differences, opens a run on click', async () => {
    assert.deepEqual(await inPage('window.posted'), [{ type: 'ready' }]);
    const order = [A, B].map((r) => ({ run_id: r.run_id, created_at: r.created_at }));
    await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'compare', runs: [A, B], order })}, '*')`);
    await page.waitForSelector('.compare-run');
    const texts = (selector: string) =>
      inPage<string[]>(
        // Setting names carry zero-width spaces after their dots (line breaks): read them without.
        `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent.replaceAll('\\u200b', ''))`,
      );
    const styles = await inPage<string[]>(
      `[...document.querySelectorAll('.compare-run')].map((e) => e.getAttribute('style'))`,
    );
    const cards = await texts('.compare-run');
    assert.match(styles[0], /var\(--vscode-charts-blue\)/);
    assert.match(styles[1], /var\(--vscode-charts-orange\)/);
    assert.match(cards[0], /#1 xor 20260101-000000-aaaaaa/);
    assert.deepEqual(await texts('.compare-hyperparams tr.differs'), [
      'epochs32≠ differs',
      'optimizer.learningRate0.010.05≠ differs',
    ]);
    assert.match(String(await page.textContent('.compare-summary')), /^2 of \d+ settings differ\.$/);
    assert.equal((await texts('.compare-final tbody tr'))[2], 'test accuracy87.5%92.5%');
    // uPlot drew both runs' train and validation series (3 + 2 epochs, twice) on each chart.
    const points = await inPage<string[]>(
      `[...document.querySelectorAll('.compare-charts .chart')].map((c) => c.dataset.points)`,
    );
    assert.deepEqual(points, ['10', '10']);
    const legend = await texts('.compare-charts .chart:first-child .u-legend .u-series');
    assert.ok(
      legend.some((l) => l.includes('#2 xor 20260102-000000-bbbbbb val')),
      legend.join(' | '),
    );
    await page.click('.compare-run:nth-child(2) .compare-run-name');
    assert.deepEqual((await inPage<unknown[]>('window.posted')).at(-1), {
      type: 'showMetrics',
      runId: B.run_id,
    });
  });

  test('an error from the host is shown as an alert', async () => {
    await page.evaluate(`window.postMessage({ type: 'error', message: 'run x is gone' }, '*')`);
    await page.waitForSelector('.compare-error');
    assert.equal(await page.textContent('[role=alert]'), 'Could not compare the runs: run x is gone');
  });
});
