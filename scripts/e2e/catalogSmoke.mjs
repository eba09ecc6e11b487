// The model catalog's UI steps of the e2e run (called from run.mjs after the webview steps, with its page
// and helpers), in a real VS Code, as a person does them:
//  1. "Stitch: Save Model…" from the palette: pick a succeeded run, type a name → "saved" notification;
//  2. Developer: Reload Window (a restart of the window; the catalog lives in the server's store);
//  3. the model is listed in the Stitch Models view;
//  4. "Stitch: Compare Runs…" with two picks → the compare tab shows both runs, their final figures, the
//     hyperparameters and two charts;
//  5. screenshots in Light, Dark and High Contrast (test-artifacts/catalog-{light,dark,hc}.png), and in each
//     the run names and table text have a readable contrast.
import path from 'node:path';
import { contrastOf, setTheme, THEMES, reloadWindow, webviewFrame } from './uiHelpers.mjs';

const NAME = 'xor e2e model';

export async function catalogSmoke({ page, pick, log, check, sleep, waitFor, artifacts }) {
  const started = Date.now();
  const quickRow = page.locator('.quick-input-widget .monaco-list-row').first();
  const input = page.locator('.quick-input-widget input');

  // 1. Save Model… on the newest succeeded run.
  await pick('F1', '>Stitch: Save Model', 'Stitch: Save Model…');
  await quickRow.waitFor({ timeout: 30000 });
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'visible' });
  await input.fill(NAME);
  await page.keyboard.press('Enter');
  const saved = page.locator('.notifications-toasts .notification-toast', { hasText: `saved "${NAME}"` }).first();
  await saved.waitFor({ timeout: 30000 });
  check(true, `"Stitch: Save Model…" saved "${NAME}"`);

  // 2. Reload the window (up to three tries: the palette row is sometimes clicked while it re-renders).
  await reloadWindow(page, pick, log);
  log('window reloaded');

  // 3. The model in Stitch Models (Refresh Models starts the server if it is not running yet).
  await pick('F1', '>Stitch: Refresh Models', 'Stitch: Refresh Models');
  await pick('F1', '>Focus on Stitch Models', 'Focus on Stitch Models View');
  const row = page.locator('.pane .monaco-list-row', { hasText: NAME }).first();
  await row.waitFor({ timeout: 30000 });
  const description = await row.innerText();
  check(
    /test \d+(\.\d)?%/.test(description),
    `after the reload Stitch Models lists "${description.replace(/\s+/g, ' ').trim()}"`,
  );

  // 4. Compare the two newest runs.
  await pick('F1', '>Stitch: Compare Runs', 'Stitch: Compare Runs…');
  await quickRow.waitFor({ timeout: 30000 });
  await page.keyboard.press('Enter');
  await sleep(500);
  await quickRow.waitFor({ timeout: 30000 });
  await page.keyboard.press('Enter');
  const compare = await webviewFrame(page, '.compare-final', waitFor, 'the Compare Runs tab with both runs');
  const cards = await compare.locator('.compare-run').count();
  const charts = await compare.locator('.compare-charts .chart').count();
  check(cards === 2 && charts === 2, `Compare Runs shows ${cards} runs and ${charts} charts`);
  const finals = await compare.locator('.compare-final tbody th').allInnerTexts();
  check(
    finals.includes('test accuracy') && finals.includes('validation accuracy'),
    `final figures: ${finals.join(', ')}`,
  );

  // 5. Themes, switched as a user does.
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
