// The "use what you trained" steps of the e2e run (called from run.mjs with its page and helpers), in a real
// VS Code, as a new user would:
//  1. open examples/mnist-cnn.stitch.json from the workspace (the file as it ships), cut it to 4,000 samples,
//     2 epochs and 1,000 test samples with the editor's Replace and save it (about 94% test accuracy, enough
//     to read hand-drawn digits; a minute here), then train it from the command palette;
//  2. "Stitch: Show Evaluation": the Evaluate tab shows the test accuracy, the 10×10 confusion matrix, the
//     per-class table, the wrong samples and the model summary; a click on a mistake's cell shows its samples;
//  3. "Stitch: Test Trained Model": the 10 hand-drawn digits of test/fixtures/hand-digits.json are drawn on
//     the pad with mouse strokes (pad coordinates 0..1 scaled to its box); at least 8 must be recognised,
//     and the activations of the conv / pool / dense layers are shown;
//  4. screenshots of both tabs in Light, Dark and High Contrast (test-artifacts/evaluate-*.png, test-*.png),
//     checking that the headline and the predicted digit contrast with the background in each.
import fs from 'node:fs';
import path from 'node:path';
import { contrastOf, drawDigit, setTheme, THEMES, webviewFrame } from './uiHelpers.mjs';

const NAME = 'mnist-cnn';
const FILE = 'examples/mnist-cnn.stitch.json';
/** What the walk-through changes in the example, with the editor's Replace (Ctrl+H), to train in about a minute. */
const EDITS = [
  ['"maxSamples": 10000', '"maxSamples": 4000, "testSamples": 1000'],
  ['"epochs": 3', '"epochs": 2'],
];

/** Replaces every `find` with `replace` in the active text editor with its Find/Replace widget. */
async function replaceAll(page, find, replace) {
  await page.keyboard.press('Control+H');
  const widget = page.locator('.editor-group-container.active .editor-widget.find-widget.visible');
  await widget.waitFor({ timeout: 10000 });
  await widget.locator('.find-part .input').first().fill(find);
  await widget.locator('.replace-part .input').first().fill(replace);
  await widget.locator('.replace-part [aria-label^="Replace All"]').first().click();
  await page.keyboard.press('Escape');
}

export async function evaluateSmoke({ page, pick, log, check, sleep, waitFor, artifacts, workspace, root }) {
  const started = Date.now();
  // 1. Open the example from the workspace, make it smaller in the editor as a user would, save, train.
  // The example as it ships, put into the workspace's examples/ only now: the webview steps Quick Open
  // "mnist-cnn.stitch.json" (their own copy at the root) and must find one file.
  const onDisk = path.join(workspace, FILE);
  fs.cpSync(path.join(root, FILE), onDisk);
  // The webview steps left their own edited copy at the workspace root: Quick Open the one in examples/.
  await pick('Control+P', FILE, 'examples');
  await page.locator('.tabs-container .tab', { hasText: 'mnist-cnn.stitch.json' }).first().waitFor({ timeout: 20000 });
  await page
    .locator('.editor-group-container.active .codelens-decoration', { hasText: 'Train' })
    .first()
    .waitFor({ timeout: 30000 });
  // Earlier steps left other editor groups open: the file's own group is the active one.
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  for (const [find, replace] of EDITS) await replaceAll(page, find, replace);
  await page.keyboard.press('Control+S');
  const training = await waitFor(
    async () => {
      const t = JSON.parse(fs.readFileSync(onDisk, 'utf8')).training;
      return t.maxSamples === 4000 && t.epochs === 2 && t.testSamples === 1000 ? t : undefined;
    },
    `${FILE} saved with maxSamples 4000, epochs 2, testSamples 1000`,
    20000,
  );
  const shipped = JSON.parse(fs.readFileSync(path.join(root, FILE), 'utf8')).training;
  log(
    `edited ${FILE} in the editor: maxSamples ${shipped.maxSamples} → ${training.maxSamples}, epochs ` +
      `${shipped.epochs} → ${training.epochs}, testSamples ${training.testSamples}`,
  );
  await pick('F1', '>Stitch: Train Current Schema', 'Stitch: Train Current Schema');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `${NAME} trained` }).first();
  await toast.waitFor({ timeout: 300000 });
  const trained = (await toast.innerText()).replace(/\s+/g, ' ');
  check(
    /test accuracy \d/.test(trained),
    `trained ${FILE} (4,000 samples, 2 epochs, 1,000 test samples): "${trained.slice(0, 80)}"`,
  );

  // 2. the Evaluate tab
  await pick('F1', '>Stitch: Show Evaluation', 'Stitch: Show Evaluation');
  const frame = await webviewFrame(page, '.evaluation-headline', waitFor, 'the Evaluate tab', 60000);
  const panel = (tab) => frame.locator(`vscode-tab-panel[data-tab=${tab}]`);
  const evaluate = panel('evaluate');
  // The panel may still show the run it picked before (the newest then): wait for this one's evaluation.
  await waitFor(
    async () =>
      (await evaluate.locator('.run-picker option:checked').innerText()).startsWith(NAME) &&
      (await evaluate.locator('.evaluation-headline').count()) > 0,
    `the Evaluate tab on ${NAME}`,
    30000,
  );
  const headline = await evaluate.locator('.evaluation-headline').innerText();
  check(/^Test accuracy \d+\.\d% · loss [\d.]+ · 1,000 samples/.test(headline), `Evaluate: "${headline}"`);
  const cells = await evaluate.locator('.confusion-matrix tbody td').count();
  const classes = await evaluate.locator('.class-table tbody tr').count();
  const wrong = await evaluate.locator('.wrong-samples figure.wrong').count();
  const summary = await evaluate.locator('.summary-table tbody tr').count();
  check(cells === 100, `confusion matrix: ${cells} cells (10 × 10)`);
  check(classes === 10, `per-class table: ${classes} rows`);
  check(wrong > 0, `gallery: ${wrong} wrong samples with their images`);
  check(summary === 7, `model summary: ${summary} layers`);
  // The first off-diagonal cell with samples: a click shows them.
  const mistake = evaluate.locator('.confusion-matrix td[tabindex]:not(.diagonal)').first();
  const title = await mistake.getAttribute('title');
  await mistake.click();
  await evaluate.locator('.cell-samples figure').first().waitFor({ timeout: 20000 });
  const shown = await evaluate.locator('.cell-samples figure').count();
  check(shown > 0, `clicked "${title}": ${shown} of its samples shown`);

  // 3. the Test tab: draw the hand-drawn digits
  await pick('F1', '>Stitch: Test Trained Model', 'Stitch: Test Trained Model');
  const test = panel('test');
  await test.locator('canvas.drawing-pad').waitFor({ state: 'visible', timeout: 30000 });
  const { digits } = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/hand-digits.json'), 'utf8'));
  const read = [];
  for (const digit of digits)
    read.push({ label: digit.label, predicted: await drawDigit(page, test, digit, waitFor), digit });
  const recognised = read.filter((r) => String(r.label) === r.predicted).length;
  check(
    recognised >= 8,
    `hand-drawn digits recognised: ${recognised}/10 (${read.map((r) => `${r.label}→${r.predicted}`).join(' ')})`,
  );
  const maps = await test.locator('.activation .feature-map').count();
  const strips = await test.locator('.activation .heat-strip').count();
  const layers = await test.locator('.activation figcaption').allTextContents();
  check(
    maps > 0 && strips > 0,
    `activations: ${maps} feature maps, ${strips} heat strip(s) for ${layers.map((l) => l.split(' ')[0]).join(', ')}`,
  );

  // 4. both tabs in each theme kind
  for (const [theme, file] of THEMES) {
    await setTheme(page, pick, sleep, theme);
    await frame.locator('vscode-tab-header[data-tab=evaluate]').click();
    await sleep(400);
    await page.screenshot({ path: path.join(artifacts, `evaluate-${file}.png`) });
    const headlineContrast = await contrastOf(frame, 'vscode-tab-panel[data-tab=evaluate] .evaluation-headline');
    await frame.locator('vscode-tab-header[data-tab=test]').click();
    await sleep(400);
    await page.screenshot({ path: path.join(artifacts, `test-${file}.png`) });
    const digitContrast = await contrastOf(frame, 'vscode-tab-panel[data-tab=test] .test-prediction');
    check(
      headlineContrast >= 4.5 && digitContrast >= 4.5,
      `${theme}: headline ${headlineContrast.toFixed(1)}:1, predicted digit ${digitContrast.toFixed(1)}:1 against the background`,
    );
  }
  check(true, 'screenshots saved (test-artifacts/{evaluate,test}-{light,dark,hc}.png)');
  log(`evaluate/test steps took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // What was drawn and read, for the catalog steps to draw again after the restart.
  return read;
}
