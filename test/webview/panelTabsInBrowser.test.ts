// The panel's Evaluate and Test tabs mounted in the real panel page (webview/main.ts bundled as the extension
// bundles it, in Chromium): the tab order, the messages the page sends (model/load, evaluation/cell,
// test/predict one at a time with the latest drawing winning, test/boundary) and what it draws from the
// answers, and the tab and run coming back from the webview state after a reload. The host is played by the
// test: `acquireVsCodeApi` records what the page posts and keeps its state.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { evaluatePredictions } from '../../src/shared/evaluation';
import type { RunSummary } from '../../src/shared/protocol';
import type { PanelHostMessage, PanelWebviewMessage, RunModelView } from '../../src/shared/webviewProtocol';

const root = join(__dirname, '../..');
let bundle: string;
let browser: Browser;

before(async () => {
  const out = await build({ entryPoints: [join(root, 'webview/main.ts')], bundle: true, format: 'iife', write: false });
  bundle = out.outputFiles[0].text;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
});
after(() => browser.close());

/** A panel page with a recording host; `state` is what VS Code would restore. */
async function openPanel(state?: unknown): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent('<!doctype html><body data-view="panel"><div id="app"></div></body>');
  await page.addScriptTag({
    content: `window.posted = []; window.savedState = ${JSON.stringify(state ?? null)};
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.posted.push(m),
        getState: () => window.savedState ?? undefined,
        setState: (s) => { window.savedState = s; },
      });`,
  });
  await page.addScriptTag({ content: bundle });
  assert.deepEqual(errors, []);
  return page;
}

const posted = (page: Page): Promise<PanelWebviewMessage[]> => page.evaluate<PanelWebviewMessage[]>('window.posted');
const postedOf = async <T extends PanelWebviewMessage['type']>(page: Page, type: T) =>
  (await posted(page)).filter((m): m is Extract<PanelWebviewMessage, { type: T }> => m.type === type);
/** An attribute of every element matching `selector` (locators: the root tsconfig has no DOM types). */
async function attrs(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  const all = page.locator(selector);
  return Promise.all(Array.from({ length: await all.count() }, (_, i) => all.nth(i).getAttribute(name)));
}
async function send(page: Page, message: PanelHostMessage): Promise<void> {
  await page.evaluate(`window.dispatchEvent(new MessageEvent('message', { data: ${JSON.stringify(message)} }))`);
}

const run = (id: string, created: string, state: RunSummary['state'] = 'succeeded'): RunSummary => ({
  run_id: id,
  name: `net ${id}`,
  state,
  backend: 'cpu',
  created_at: created,
  started_at: created,
  finished_at: created,
  error: null,
  epochs_done: 1,
  epochs: 1,
  best_val_accuracy: 0.9,
  test: { loss: 0.3, accuracy: 0.875, samples: 8 },
  model_id: state === 'succeeded' ? id : null,
  schema_path: null,
});
const runs = [
  run('r1', '2026-12-01T10:00:00Z'),
  run('r2', '2026-12-02T10:00:00Z'),
  run('r3', '2026-12-03T10:00:00Z', 'failed'),
];

/** Eight 28×28 "images" of three classes, two of them misclassified. */
function imageView(runId: string): RunModelView {
  const labels = [0, 1, 2, 0, 1, 2, 0, 1];
  const predicted = [0, 1, 2, 0, 2, 2, 1, 1];
  const probabilities = predicted.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 0.8 : 0.1)));
  const evaluation = evaluatePredictions(probabilities, labels, 3, { classNames: ['zero', 'one', 'two'], loss: 0.25 });
  const image = { width: 28, height: 28, channels: 1, base64: Buffer.alloc(784, 128).toString('base64') };
  evaluation.examples = evaluation.examples.map((s) => ({ ...s, image }));
  return {
    runId,
    name: `net ${runId}`,
    evaluation,
    summary: {
      rows: [
        { id: 'conv', className: 'Conv2D', outputShape: [2, 2, 4], params: 40, nonTrainable: 0 },
        { id: 'out', className: 'Dense', outputShape: [3], params: 51, nonTrainable: 0 },
      ],
      total: 91,
      trainable: 91,
      nonTrainable: 0,
    },
    inputShape: [28, 28, 1],
    classes: evaluation.classes,
    input: 'drawing',
    featureNames: [],
    points: [],
    layers: [
      { id: 'conv', type: 'conv2d', outputShape: [2, 2, 4] },
      { id: 'out', type: 'dense', outputShape: [3] },
    ],
  };
}

async function stroke(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator('canvas.drawing-pad').boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + from[0] * box.width, box.y + from[1] * box.height);
  await page.mouse.down();
  for (let t = 0.1; t <= 1.001; t += 0.1)
    await page.mouse.move(
      box.x + (from[0] + t * (to[0] - from[0])) * box.width,
      box.y + (from[1] + t * (to[1] - from[1])) * box.height,
    );
  await page.mouse.up();
}

test('Evaluate: the newest trained run is picked and loaded; matrix, classes, samples, summary; a cell asks for its samples', async () => {
  const page = await openPanel();
  assert.deepEqual(await page.locator('vscode-tab-header').allTextContents(), ['Metrics', 'Evaluate', 'Test', 'Chat']);
  await send(page, { type: 'runs', runs, serverState: 'ready' });
  assert.deepEqual(await postedOf(page, 'model/load'), [{ type: 'model/load', runId: 'r2' }]);
  assert.deepEqual(
    await attrs(page, 'vscode-tab-panel[data-tab=evaluate] .run-picker option', 'value'),
    ['r2', 'r1'],
    'succeeded runs only, newest first',
  );
  await send(page, { type: 'model', runId: 'r2', view: imageView('r2') });
  const text = (selector: string) => page.locator(selector).first().textContent();
  assert.equal(
    await text('vscode-tab-panel[data-tab=evaluate] .evaluation-headline'),
    'Test accuracy 75.0% · loss 0.2500 · 8 samples · macro F1 75.6%',
  );
  assert.equal(await page.locator('vscode-tab-panel[data-tab=evaluate] .confusion-matrix td').count(), 9);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=evaluate] .class-table tbody tr').count(), 3);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=evaluate] .wrong-samples figure.wrong').count(), 2);
  assert.ok((await page.locator('vscode-tab-panel[data-tab=evaluate] .correct-samples figure').count()) > 0);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=evaluate] .summary-table tbody tr').count(), 2);

  await page.click('vscode-tab-header[data-tab=evaluate]');
  await page.click('vscode-tab-panel[data-tab=evaluate] .confusion-matrix tbody tr:nth-child(2) td:nth-of-type(3)'); // true one, predicted two
  assert.deepEqual(await postedOf(page, 'evaluation/cell'), [{ type: 'evaluation/cell', runId: 'r2', cell: '1,2' }]);
  const image = { width: 28, height: 28, channels: 1, base64: Buffer.alloc(784, 200).toString('base64') };
  await send(page, {
    type: 'evaluation/cell',
    runId: 'r2',
    cell: '1,2',
    samples: [{ index: 4, label: 1, prediction: 2, image } as never],
  });
  assert.equal(await text('vscode-tab-panel[data-tab=evaluate] .cell-samples h4'), 'true one, predicted two: 1 shown');
  assert.equal(await text('vscode-tab-panel[data-tab=evaluate] .cell-samples figcaption'), 'two (not one)');
  assert.equal(await page.evaluate('window.savedState.modelRunId'), 'r2');

  await page.selectOption('vscode-tab-panel[data-tab=evaluate] .run-picker select', 'r1');
  assert.deepEqual((await postedOf(page, 'model/load')).at(-1), { type: 'model/load', runId: 'r1' });
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .run-picker select').inputValue(),
    'r1',
    'both tabs show one run',
  );
  await page.close();
});

test('Test: a drawing is predicted one request at a time, the latest drawing winning; bars and activations are drawn', async () => {
  const page = await openPanel();
  await send(page, { type: 'runs', runs, serverState: 'ready' });
  await send(page, { type: 'model', runId: 'r2', view: imageView('r2') });
  await send(page, { type: 'focus', tab: 'test', runId: 'r2' });
  assert.equal(await page.evaluate("document.querySelector('vscode-tabs').selectedIndex"), 2);
  assert.equal(await page.evaluate('window.savedState.tab'), 'test');
  assert.equal((await postedOf(page, 'model/load')).length, 1, 'a focus on the run shown does not reload it');
  await stroke(page, [0.5, 0.2], [0.5, 0.8]);
  await stroke(page, [0.3, 0.3], [0.7, 0.3]);
  const first = await postedOf(page, 'test/predict');
  assert.equal(first.length, 1, 'the second stroke waits for the first answer');
  assert.equal(first[0].input.length, 784);
  assert.equal(first[0].image, true);
  assert.deepEqual(first[0].activations, ['conv', 'out']);
  assert.ok(first[0].input.some((v) => v > 0.5));
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .test-result').first().getAttribute('data-state'),
    'pending',
  );

  await send(page, {
    type: 'test/result',
    requestId: first[0].requestId,
    runId: 'r2',
    probabilities: [0.1, 0.7, 0.2],
    activations: [],
  });
  const second = await postedOf(page, 'test/predict');
  assert.equal(second.length, 2, 'the waiting drawing is sent when the answer arrives');
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .test-result').first().getAttribute('data-state'),
    'pending',
  );
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 16) % 256)).toString('base64');
  await send(page, {
    type: 'test/result',
    requestId: second[1].requestId,
    runId: 'r2',
    probabilities: [0.05, 0.15, 0.8],
    activations: [
      { id: 'conv', shape: [2, 2, 4], min: 0, max: 1, base64: bytes(16) },
      { id: 'out', shape: [3], min: 0, max: 1, base64: bytes(3) },
    ],
  });
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .test-result').first().getAttribute('data-state'),
    'done',
  );
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .test-prediction').first().getAttribute('data-label'),
    'two',
  );
  assert.deepEqual(await attrs(page, 'vscode-tab-panel[data-tab=test] .probability', 'aria-label'), [
    'two: 80.0%',
    'one: 15.0%',
    'zero: 5.0%',
  ]);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=test] .activation').count(), 2);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=test] .activation .feature-map').count(), 4);
  assert.equal(await page.locator('vscode-tab-panel[data-tab=test] .activation .heat-strip').count(), 1);

  // The next answer repaints the same figures in place (live drawing must not build hundreds of canvases).
  await page.evaluate("document.querySelector('figure.activation').dataset.marker = 'kept'");
  await stroke(page, [0.2, 0.7], [0.8, 0.7]);
  const third = (await postedOf(page, 'test/predict')).at(-1);
  assert.ok(third && third.requestId > second[1].requestId);
  await send(page, {
    type: 'test/result',
    requestId: third.requestId,
    runId: 'r2',
    probabilities: [0.6, 0.3, 0.1],
    activations: [
      { id: 'conv', shape: [2, 2, 4], min: -1, max: 2, base64: Buffer.alloc(16, 255).toString('base64') },
      { id: 'out', shape: [3], min: 0, max: 1, base64: bytes(3) },
    ],
  });
  assert.equal(await page.locator('figure.activation[data-marker=kept]').count(), 1, 'the same figure');
  assert.match(
    (await page.locator('figure.activation figcaption').first().textContent()) ?? '',
    /^conv \[2, 2, 4\] -1\.00 … 2\.00$/,
  );
  const pixel = await page.evaluate<number[]>(
    "Array.from(document.querySelector('figure.activation canvas').getContext('2d').getImageData(0, 0, 1, 1).data)",
  );
  assert.deepEqual(pixel, [255, 255, 255, 255], 'repainted with the new bytes');

  const before = (await postedOf(page, 'test/predict')).length;
  await page.click('vscode-tab-panel[data-tab=test] .drawing-tools vscode-button:nth-of-type(3)'); // Clear
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .test-result').first().getAttribute('data-state'),
    'idle',
  );
  assert.equal((await postedOf(page, 'test/predict')).length, before, 'an empty pad is not sent');
  await page.close();
});

test('after a reload the saved tab and run come back and the run is asked for again', async () => {
  const page = await openPanel({ tab: 'test', runIds: [], modelRunId: 'r1' });
  assert.equal(await page.evaluate("document.querySelector('vscode-tabs').selectedIndex"), 2);
  assert.deepEqual(await postedOf(page, 'model/load'), [{ type: 'model/load', runId: 'r1' }]);
  await send(page, { type: 'runs', runs, serverState: 'ready' });
  assert.equal((await postedOf(page, 'model/load')).length, 1, 'the run list does not replace the saved run');
  assert.equal(await page.locator('vscode-tab-panel[data-tab=test] .run-picker select').inputValue(), 'r1');
  await send(page, { type: 'model', runId: 'r1', view: null, error: 'Could not read the run: run r1 not found' });
  assert.equal(
    await page.locator('vscode-tab-panel[data-tab=test] .model-message').first().textContent(),
    'Could not read the run: run r1 not found',
  );
  await page.close();
});

test('a 2-D model: the boundary is asked for as one batch, drawn, and a click on the plane is predicted', async () => {
  const page = await openPanel({ tab: 'test', runIds: [], modelRunId: 'r1' });
  const view: RunModelView = {
    ...imageView('r1'),
    evaluation: null,
    input: 'points',
    inputShape: [2],
    classes: ['0', '1'],
    layers: [],
    featureNames: ['x1', 'x2'],
    points: [
      { x: -1, y: -1, label: 0 },
      { x: 1, y: 1, label: 1 },
    ],
  };
  await send(page, { type: 'model', runId: 'r1', view });
  const [ask] = await postedOf(page, 'test/boundary');
  assert.equal(ask.points.length, 48 * 48);
  const probabilities = ask.points.map(([x]) => (x < 0 ? [0.9, 0.1] : [0.2, 0.8]));
  await send(page, { type: 'test/boundary', requestId: ask.requestId, runId: 'r1', probabilities });
  const box = await page.locator('canvas.decision-boundary').boundingBox();
  assert.ok(box);
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.5);
  const [predict] = await postedOf(page, 'test/predict');
  assert.equal(predict.image, false);
  assert.equal(predict.input.length, 2);
  assert.ok(predict.input[0] > 0, `a click on the right half is a positive x: ${predict.input.join(', ')}`);
  await page.close();
});

test('a tabular model: the form predicts the typed features', async () => {
  const page = await openPanel({ tab: 'test', runIds: [], modelRunId: 'r1' });
  const view: RunModelView = {
    ...imageView('r1'),
    evaluation: null,
    input: 'form',
    inputShape: [2],
    layers: [],
    featureNames: ['petal length', 'petal width'],
  };
  await send(page, { type: 'model', runId: 'r1', view });
  await page.fill('vscode-tab-panel[data-tab=test] #feature-0', '4.5');
  await page.fill('vscode-tab-panel[data-tab=test] #feature-1', '1.5');
  await page.press('vscode-tab-panel[data-tab=test] #feature-1', 'Enter');
  const [predict] = await postedOf(page, 'test/predict');
  assert.deepEqual(predict.input, [4.5, 1.5]);
  await page.close();
});

test('a selection restored after a reload drops the runs deleted since; a run just started is kept', async () => {
  const page = await openPanel({ tab: 'metrics', runIds: ['gone', 'r2'] });
  const follows = () => postedOf(page, 'runs/follow');
  assert.deepEqual((await follows()).at(-1)?.runIds, ['gone', 'r2'], 'the saved selection is followed at once');
  // A list that failed (empty) deletes nothing.
  await send(page, { type: 'runs', runs: [], serverState: 'ready' });
  assert.deepEqual((await follows()).at(-1)?.runIds, ['gone', 'r2']);
  await send(page, { type: 'runs', runs, serverState: 'ready' });
  assert.deepEqual((await follows()).at(-1)?.runIds, ['r2'], 'the deleted run is no longer followed');
  assert.deepEqual((await page.evaluate<{ runIds: string[] }>('window.savedState')).runIds, ['r2']);
  // A run shown by id before a list has it (just started) survives a list made before it existed.
  await send(page, { type: 'focus', tab: 'metrics', runId: 'new' });
  await send(page, { type: 'runs', runs, serverState: 'ready' });
  assert.deepEqual((await follows()).at(-1)?.runIds, ['new']);
  await page.close();
});
