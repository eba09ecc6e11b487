// The visual editor's page (webview/editor/editorApp.ts and its parts) in a real Chromium: bundled with esbuild
// as the webview is, with the host's side played by a tiny acquireVsCodeApi() that records what the page posts
// and saves, and real snapshots (built from the examples) sent as the extension sends them.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openBundledPage } from './bundledPage';
import { buildSnapshot } from '../../src/extension/visualEditor/editorSnapshot';
import { analyzeSchemaText } from '../../src/shared/schema';
import { snapshotSummary } from '../../webview/editor/snapshotSummary';

const root = join(__dirname, '../..');
const pageCode = `
import { startEditor } from './webview/editor/editorApp';
window.posted = [];
window.saved = undefined;
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.posted.push(m),
  getState: () => window.saved,
  setState: (s) => { window.saved = s; },
});
startEditor(document.getElementById('app'));
`;
const example = (name: string) => readFileSync(join(root, `examples/${name}.stitch.json`), 'utf8');
let version = 0;
const snapshotOf = (text: string) => buildSnapshot(text, analyzeSchemaText(text), ++version, 'x.stitch.json');

let browser: Browser;
let page: Page;
before(async () => {
  ({ browser, page } = await openBundledPage(pageCode, {
    body: '<body><div id="app"></div></body>',
    css: readFileSync(join(root, 'webview/webview.css'), 'utf8'),
    viewport: { width: 1200, height: 800 },
  }));
});
after(async () => {
  await browser.close();
});

// Page-side code is passed as strings: the root tsconfig has no DOM types.
const inPage = <T>(expression: string): Promise<T> => page.evaluate<T>(expression);
const send = (message: unknown) => inPage<undefined>(`window.postMessage(${JSON.stringify(message)}, '*')`);
const posted = () => inPage<{ type: string }[]>('window.posted');
const texts = (selector: string) =>
  inPage<string[]>(`Array.from(document.querySelectorAll(${JSON.stringify(selector)}), (e) => e.textContent.trim())`);
const runInfo = (text: string) => page.waitForFunction(`document.querySelector('.run-info').textContent === '${text}'`);

const count = (n: number) => n.toLocaleString('en-US');

test('the page says it is ready, then draws a snapshot: title, counts, graph and the model summary', async () => {
  assert.deepEqual(await posted(), [{ type: 'ready' }]);
  const mlp = snapshotOf(example('mnist-mlp'));
  await send(mlp);
  await page.waitForSelector(`body[data-version="${mlp.version}"]`);
  assert.equal(await page.textContent('.toolbar .title'), mlp.name);
  assert.deepEqual(await texts('.toolbar .summary .count'), [
    `${mlp.layers.length} layers`,
    `${count(mlp.params)} params`,
  ]);
  assert.equal(await page.$$eval('svg.graph .nodes > g', (gs) => gs.length), mlp.layers.length + 1);
  // The summary sits in the inspector panel, collapsed until the user opens it.
  assert.equal(
    await inPage<boolean>(`document.querySelector('.side-panel.inspector details.model-summary').open`),
    false,
  );
  const { table } = snapshotSummary(mlp);
  assert.deepEqual(
    await texts('.model-summary tbody tr td:first-child'),
    table.rows.map((r) => `${r.id} (${r.className})`),
  );
  assert.deepEqual(await texts('.model-summary tfoot td'), [count(mlp.params), count(mlp.params), '0']);
});

test('opening the summary is saved in the webview state; it follows the next snapshot', async () => {
  await page.click('.model-summary > summary');
  await page.waitForFunction('window.saved?.summaryOpen === true');
  assert.ok(await page.isVisible('.model-summary table'));
  const cnn = snapshotOf(example('mnist-cnn'));
  await send(cnn);
  await page.waitForSelector(`body[data-version="${cnn.version}"]`);
  assert.equal(await page.$$eval('.model-summary tbody tr', (rs) => rs.length), cnn.layers.length);
  assert.deepEqual(await texts('.model-summary tfoot td'), [count(cnn.params), count(cnn.params), '0']);
});

test('a syntax error shows the banner and keeps the last good graph and summary', async () => {
  const rows = await page.$$eval('.model-summary tbody tr', (rs) => rs.length);
  const broken = snapshotOf('{ "layers": [');
  await send(broken);
  await page.waitForSelector(`body[data-version="${broken.version}"]`);
  assert.match((await page.textContent('.banner')) ?? '', /The JSON has a syntax error/);
  assert.ok(await page.isVisible('.banner'));
  assert.equal(await page.$$eval('.model-summary tbody tr', (rs) => rs.length), rows);
});

test('a palette click asks to add after the selection; the added layer is then selected and revealed', async () => {
  const before = snapshotOf(example('mnist-mlp'));
  await send(before);
  await page.waitForSelector(`body[data-version="${before.version}"]`);
  await page.click('.palette-item[data-type="dropout"]');
  const add = (await posted()).at(-1);
  assert.deepEqual(add, { type: 'layer/add', layerType: 'dropout', afterId: undefined });
  const schema = JSON.parse(example('mnist-mlp')) as { layers: { id: string }[] };
  schema.layers.splice(1, 0, { id: 'dropout9', type: 'dropout', rate: 0.2 } as { id: string });
  const after = snapshotOf(JSON.stringify(schema, null, 2));
  await send(after);
  await page.waitForSelector(`body[data-version="${after.version}"]`);
  assert.deepEqual((await posted()).at(-1), { type: 'layer/reveal', id: 'dropout9' });
  assert.match((await page.textContent('.inspector-form')) ?? '', /dropout layer/);
});

test('a running run shows its message, progress and Cancel; Train posts the train command', async () => {
  await send({ type: 'run', runId: 'r1', state: 'running', progress: 0.5, message: 'epoch 1/2' });
  await runInfo('epoch 1/2');
  assert.equal(await page.isVisible('#cancel'), true);
  await page.click('#train');
  assert.deepEqual((await posted()).at(-1), { type: 'command', command: 'train' });
  await send({ type: 'run', runId: 'r1', state: 'succeeded', progress: 1, message: 'done' });
  await runInfo('done');
  assert.equal(await page.isVisible('#cancel'), false);
});
