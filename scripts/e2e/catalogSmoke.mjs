// The model catalog's UI steps of the e2e run (called from run.mjs after the evaluate steps, with its page,
// helpers, the digits evaluateSmoke drew and run.mjs's restartCodeServer), in a real VS Code, as a person does:
//  1. "Stitch: Save Model…" from the palette: pick the newest succeeded run (the mnist-cnn one), type a name →
//     "saved" notification;
//  2. restart VS Code: quit code-server (no process of it, the `stitch serve` child included, may be left),
//     start it again with the same user-data-dir, extensions dir and workspace, open a fresh page;
//  3. the model is listed in the Stitch Models view, and the status bar item shows the last run's result;
//  4. "Test Saved Model" from the model's context menu → the Test tab; two digits drawn again are read as
//     they were before the restart;
//  5. "Stitch: Compare Runs…" with two picks → the compare tab shows both runs, their final figures, the
//     hyperparameters and two charts;
//  6. "Export Trained Model…" from the model's context menu → PyTorch → the workspace folder; the exported
//     model.py's load_model(), in /usr/bin/python3's torch, scores the exported test samples with the test
//     accuracy the catalog shows (skipped with a line in the log where no python3 has torch);
//  7. screenshots in Light, Dark and High Contrast (test-artifacts/catalog-{light,dark,hc}.png), and in each
//     the run names and table text have a readable contrast.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clickFirstRow,
  contextMenuAction,
  contrastOf,
  drawDigit,
  setTheme,
  THEMES,
  webviewFrame,
} from './uiHelpers.mjs';

const NAME = 'mnist e2e model';

/** Run in an exported PyTorch folder: the loaded model's accuracy on the exported test split. */
const LOAD_AND_SCORE = fileURLToPath(new URL('./load_and_score.py', import.meta.url));

export async function catalogSmoke(ui) {
  const { log, check, sleep, waitFor, artifacts, drawn, restartCodeServer } = ui;
  let { page, pick } = ui;
  const started = Date.now();
  const input = () => page.locator('.quick-input-widget input');
  const toast = (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

  // 1. Save Model… on the newest succeeded run. The run pick sometimes closes as it opens, right after the
  // Test tab (seen in CI: its rows there but hidden): the command is run again (three tries).
  const runPick = page
    .locator('.quick-input-widget', {
      has: page.locator('.quick-input-title', { hasText: 'Save the model of which run' }),
    })
    .locator('.monaco-list-row')
    .first();
  for (let attempt = 1; ; attempt++) {
    await pick('F1', '>Stitch: Save Model', 'Stitch: Save Model…');
    const shown = await runPick.waitFor({ state: 'visible', timeout: 10000 }).then(
      () => true,
      () => false,
    );
    if (shown) break;
    if (attempt === 3) throw new Error('"Stitch: Save Model…" never showed its run pick');
    log(`"Stitch: Save Model…": its run pick did not show (try ${attempt}), running it again`);
    await page.keyboard.press('Escape');
  }
  // The row's label and description, apart (its innerText runs them together: "mnist-cnnsucceeded · …").
  const parts = await runPick.locator('.label-name, .label-description').allInnerTexts();
  const saving = parts.length ? parts.join(' ') : await runPick.innerText();
  await page.keyboard.press('Enter');
  await input().waitFor({ state: 'visible' });
  await input().fill(NAME);
  await page.keyboard.press('Enter');
  await toast(`saved "${NAME}"`).waitFor({ timeout: 30000 });
  check(true, `"Stitch: Save Model…" saved "${NAME}" (run: ${saving.replace(/\s+/g, ' ').trim()})`);

  // 2. Restart VS Code.
  ({ page, pick } = await restartCodeServer());
  log('VS Code restarted');

  // 3. The model in Stitch Models (Refresh Models starts the server if it is not running yet), and the
  //    status bar item with the last run's result, read back from the server.
  await pick('F1', '>Stitch: Refresh Models', 'Stitch: Refresh Models');
  await pick('F1', '>Focus on Stitch Models', 'Focus on Stitch Models View');
  const row = page.locator('.pane .monaco-list-row', { hasText: NAME }).first();
  await row.waitFor({ timeout: 60000 });
  const description = (await row.innerText()).replace(/\s+/g, ' ').trim();
  const shown = /test (\d+(?:\.\d)?)%/.exec(description);
  check(shown !== null, `after the restart Stitch Models lists "${description}"`);
  const item = page.locator('.part.statusbar .statusbar-item', { hasText: 'mnist-cnn test accuracy' }).first();
  await item.waitFor({ timeout: 30000 });
  check(true, `after the restart the status bar item shows "${(await item.innerText()).trim()}"`);

  // 4. Test it again: the same drawings give the same digits as before the restart.
  await contextMenuAction(page, row, 'Test Saved Model', sleep);
  const panel = await webviewFrame(page, 'canvas.drawing-pad', waitFor, 'the Test tab of the saved model', 60000);
  const test = panel.locator('vscode-tab-panel[data-tab=test]');
  await test.locator('canvas.drawing-pad').waitFor({ state: 'visible', timeout: 30000 });
  const again = [];
  for (const { digit, predicted } of drawn.slice(0, 2))
    again.push({ label: digit.label, before: predicted, now: await drawDigit(page, test, digit, waitFor) });
  await page.screenshot({ path: path.join(artifacts, 'catalog-test-after-restart.png') });
  check(
    again.every((d) => d.now === d.before),
    `the saved model, tested after the restart, reads the drawings as before: ${again
      .map((d) => `${d.label}→${d.now} (was ${d.before})`)
      .join(', ')}`,
  );

  // 5. Compare the two newest runs: each pick's first row, clicked (three tries, see clickFirstRow).
  let compare;
  for (let attempt = 1; !compare; attempt++) {
    await pick('F1', '>Stitch: Compare Runs', 'Stitch: Compare Runs…');
    if ((await clickFirstRow(page, 'Compare which run')) && (await clickFirstRow(page, 'with which run')))
      compare = await webviewFrame(page, '.compare-final', waitFor, 'the Compare Runs tab with both runs');
    else if (attempt === 3) throw new Error('"Stitch: Compare Runs…" never took its two picks');
    else {
      log(`"Stitch: Compare Runs…": a pick did not take (try ${attempt}), running it again`);
      await page.keyboard.press('Escape');
    }
  }
  const cards = await compare.locator('.compare-run').count();
  const charts = await compare.locator('.compare-charts .chart').count();
  check(cards === 2 && charts === 2, `Compare Runs shows ${cards} runs and ${charts} charts`);
  const finals = await compare.locator('.compare-final tbody th').allInnerTexts();
  check(
    finals.includes('test accuracy') && finals.includes('validation accuracy'),
    `final figures: ${finals.join(', ')}`,
  );

  // 6. Export the saved model to PyTorch and score it in Python.
  await exportAndScore({ page, row, toast, shown: Number(shown[1]), log, check, sleep });

  // 7. Themes, switched as a user does.
  for (const [theme, file] of THEMES) {
    await setTheme(page, pick, sleep, theme);
    await page.screenshot({ path: path.join(artifacts, `catalog-${file}.png`) });
    const name = await contrastOf(compare, '.compare-run-name');
    const cell = await contrastOf(compare, '.compare-final tbody td');
    check(name >= 3 && cell >= 4.5, `${theme}: run name ${name.toFixed(1)}:1, table text ${cell.toFixed(1)}:1`);
  }
  check(true, 'screenshots in Light, Dark and High Contrast saved (test-artifacts/catalog-{light,dark,hc}.png)');
  log(`catalog steps took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function exportAndScore({ page, row, toast, shown, log, check, sleep }) {
  await page.keyboard.press('Escape');
  await contextMenuAction(page, row, 'Export Trained Model', sleep);
  const formats = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'PyTorch' }).first();
  await formats.waitFor({ timeout: 30000 });
  await formats.click();
  // VS Code for the Web's folder dialog is a quick input opened on the workspace folder (the default):
  // accept it with its "Export Here" button.
  const ok = page.locator('.quick-input-widget .monaco-button', { hasText: 'Export Here' }).first();
  await ok.waitFor({ timeout: 30000 });
  await ok.click();
  const done = toast('exported');
  await done.waitFor({ timeout: 120000 });
  const message = (await done.locator('.notification-list-item-message').innerText()).trim();
  const folder = / to (\/.+?)\.?$/.exec(message)?.[1];
  check(folder !== undefined, `"Export Trained Model…" → PyTorch: "${message}"`);
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) {
    log('skipped the PyTorch load: no python3 with torch (Debian: apt-get install python3-torch)');
    return;
  }
  const load = spawnSync(python, [LOAD_AND_SCORE], { cwd: folder, encoding: 'utf8' });
  check(
    load.status === 0,
    `${python}: load_model() from ${folder}/model.py ${load.status === 0 ? 'ran' : load.stderr}`,
  );
  const { accuracy, count } = JSON.parse(load.stdout);
  // The catalog shows one decimal; the trainer evaluates in its own process: one sample of slack.
  const slack = 0.05 + 100 / count + 1e-9;
  check(
    Math.abs(accuracy * 100 - shown) <= slack,
    `PyTorch scores ${(accuracy * 100).toFixed(2)}% on the ${count} exported test samples; Stitch Models shows ${shown}%`,
  );
}
