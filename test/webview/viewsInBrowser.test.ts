// The Evaluate / Test views' DOM parts in a real Chromium (webview/evaluation/*, webview/testing/*): bundled
// with esbuild as the webview is, mounted on a blank page, and driven with real mouse clicks and strokes.
// The page code is a string because the root tsconfig (which checks tests) has no DOM lib.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { openBundledPage } from './bundledPage';

const pageCode = `
import { evaluatePredictions } from './src/shared/evaluation';
import { renderConfusionMatrix } from './webview/evaluation/confusionMatrix';
import { renderClassTable } from './webview/evaluation/classTable';
import { renderGallery } from './webview/evaluation/gallery';
import { renderProbabilityBars } from './webview/testing/probabilityBars';
import { renderActivation } from './webview/testing/activationView';
import { renderTabularForm } from './webview/testing/tabularForm';
import { createDrawingPad } from './webview/testing/drawingPad';
const log = (window.log = []);
const mount = (id, node) => { node.id = id; document.body.appendChild(node); };
const ev = evaluatePredictions([0.9, 0.1, 0.2, 0.8, 0.6, 0.4], [0, 1, 1], 2, { classNames: ['cat', 'dog'] });
mount('matrix', renderConfusionMatrix(ev, (key) => log.push('cell ' + key)));
mount('classes', renderClassTable(ev.per_class));
const grey = btoa(String.fromCharCode(...Array.from({ length: 16 }, (_, i) => i * 16)));
const sample = { index: 7, label: 1, prediction: 0, confidence: 0.9, image: { width: 4, height: 4, channels: 1, base64: grey } };
mount('gallery', renderGallery([sample], ev.classes));
mount('bars', renderProbabilityBars([0.1, 0.7, 0.2], ['a', 'b', 'c']));
mount('activation', renderActivation({ id: 'conv', shape: [2, 2, 4], min: 0, max: 1, base64: grey }));
mount('form', renderTabularForm(['sepal length', 'petal width'], (v) => log.push('submit ' + v.join(','))));
mount('pad', createDrawingPad((field) => { window.field = Array.from(field); log.push('input ' + field.length); }));
`;

let browser: Browser;
let page: Page;
before(async () => {
  ({ browser, page } = await openBundledPage(pageCode, { body: '<body style="margin:0"></body>' }));
});
after(async () => {
  await browser.close();
});

// Page-side code is passed as strings: the root tsconfig has no DOM types.
const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
const log = (): Promise<string[]> => inPage<string[]>('window.log');

test('the confusion matrix: a titled cell per entry, theme colours, click and Enter report "t,p"', async () => {
  const titles = await page.$$eval('#matrix td', (tds) => tds.map((td) => td.getAttribute('title')));
  assert.deepEqual(titles, [
    'true cat, predicted cat: 1 sample',
    'true cat, predicted dog: 0 samples',
    'true dog, predicted cat: 1 sample',
    'true dog, predicted dog: 1 sample',
  ]);
  const style = await page.$eval('#matrix td', (td) => td.getAttribute('style'));
  assert.match(
    style ?? '',
    /background: color-mix\(in srgb, var\(--vscode-charts-green\) 60%, transparent\)/,
    'the browser accepts the colour',
  );
  await page.click('#matrix tbody tr:nth-child(2) td:nth-of-type(1)');
  await page.focus('#matrix tbody tr:nth-child(2) td:nth-of-type(2)');
  await page.keyboard.press('Enter');
  await page.click('#matrix tbody tr:nth-child(1) td:nth-of-type(2)'); // empty: not clickable
  assert.deepEqual(await log(), ['cell 1,0', 'cell 1,1']);
});

test('the class table sorts by a clicked column, and again in reverse', async () => {
  const firstColumn = (): Promise<string[]> =>
    page.$$eval('#classes tbody tr td:first-child', (tds) => tds.map((td) => td.textContent ?? ''));
  await page.click('#classes th:nth-child(3) button'); // recall: cat 100%, dog 50%
  assert.deepEqual(await firstColumn(), ['dog', 'cat']);
  await page.click('#classes th:nth-child(3) button');
  assert.deepEqual(await firstColumn(), ['cat', 'dog']);
  assert.equal(await page.$eval('#classes th:nth-child(3)', (th) => th.getAttribute('aria-sort')), 'descending');
});

test('the gallery and feature maps draw the bytes on canvases', async () => {
  assert.equal(await page.$eval('#gallery figcaption', (f) => f.textContent), 'cat (not dog) 90%');
  const pixel = await inPage<number[]>(
    `Array.from(document.querySelector('#gallery canvas').getContext('2d').getImageData(3, 0, 1, 1).data)`,
  );
  assert.deepEqual(pixel, [48, 48, 48, 255]);
  // Channel 1 of a [2, 2, 4] map holds bytes 1, 5, 9, 13 of the activation: 16, 80, 144, 208.
  const rgba = await inPage<number[]>(
    `Array.from(document.querySelectorAll('#activation canvas')[1].getContext('2d').getImageData(0, 0, 2, 2).data)`,
  );
  const plane = rgba.filter((_, i) => i % 4 === 0);
  assert.deepEqual(plane, [16, 80, 144, 208]);
  assert.equal(await page.$$eval('#activation canvas', (cs) => cs.length), 4);
});

test('the probability bars: most likely first, widths from the probabilities', async () => {
  const rows = await page.$$eval('#bars .probability', (rs) => rs.map((r) => r.getAttribute('aria-label')));
  assert.deepEqual(rows, ['b: 70.0%', 'c: 20.0%', 'a: 10.0%']);
  assert.match((await page.$eval('#bars .probability-fill', (f) => f.getAttribute('style'))) ?? '', /width: 70%/);
});

test('the tabular form names a bad field and submits numbers', async () => {
  await page.fill('#form #feature-0', '5.1');
  await page.click('#form vscode-button');
  assert.equal(await page.$eval('#form .form-errors', (e) => e.textContent), 'petal width: enter a number');
  await page.fill('#form #feature-1', '0.2');
  await page.press('#form #feature-1', 'Enter');
  assert.equal((await log()).at(-1), 'submit 5.1,0.2', 'Enter in a field submits');
  assert.equal(await page.$eval('#form .form-errors', (e) => e.textContent), '');
});

test('a stroke drawn with the mouse gives a centred 28×28 input when it ends', async () => {
  const box = await page.locator('#pad canvas').boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + 30, box.y + 20);
  await page.mouse.down();
  for (let y = 20; y <= 80; y += 10) await page.mouse.move(box.x + 30, box.y + y);
  await page.mouse.up();
  const field = await inPage<number[]>('window.field');
  assert.equal(field.length, 784);
  let mass = 0,
    cx = 0,
    cy = 0;
  field.forEach((v, i) => {
    mass += v;
    cx += v * ((i % 28) + 0.5);
    cy += v * (Math.floor(i / 28) + 0.5);
  });
  assert.ok(mass > 20, `ink in the field: ${mass}`);
  assert.ok(Math.abs(cx / mass - 14) < 1 && Math.abs(cy / mass - 14) < 1, 'a stroke near the corner is centred');
  await page.click('#pad vscode-button:nth-of-type(3)'); // Clear
  const cleared = await inPage<number[]>('window.field');
  assert.ok(
    cleared.every((v) => v === 0),
    'Clear sends an empty field',
  );
});
