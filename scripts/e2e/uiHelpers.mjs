// What the UI steps of the e2e run (webviewSmoke, evaluateSmoke, catalogSmoke) do the same way: find a
// webview's frame, measure text contrast, switch the colour theme and reload the window as a user does.
/* global document, getComputedStyle, HTMLElement -- contrastOf's and setTheme's callbacks run in the page */

/** The inner webview frame (…/pre/fake.html, or index.html's child) that contains `selector`. */
export function webviewFrame(page, selector, waitFor, what, ms = 30000) {
  return waitFor(
    async () => {
      for (const frame of page.frames()) {
        if (!frame.url().includes('/webview/')) continue;
        if (
          await frame
            .locator(selector)
            .count()
            .catch(() => 0)
        )
          return frame;
      }
      return undefined;
    },
    what,
    ms,
  );
}

/** WCAG contrast ratio of an element's text colour against the page background. */
export function contrastOf(frame, selector) {
  return frame.evaluate((sel) => {
    const lum = (c) => {
      const [r, g, b] = (c.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
        const s = Number(v) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const fg = lum(getComputedStyle(document.querySelector(sel)).color);
    const bg = lum(getComputedStyle(document.body).backgroundColor);
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  }, selector);
}

/** The three theme kinds, as [theme name, file suffix]; Dark Modern (the default) last. */
export const THEMES = [
  ['Light Modern', 'light'],
  ['Dark High Contrast', 'hc'],
  ['Dark Modern', 'dark'],
];

/** Switches the colour theme the way a user does (Preferences: Color Theme). */
export async function setTheme(page, pick, sleep, theme) {
  // F1 pressed while a webview holds the focus sometimes never reaches the workbench, and a panel that was
  // just revealed can take the focus back and close the palette: settle, give the focus back, try again.
  for (let attempt = 1; ; attempt++) {
    await sleep(500);
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    try {
      await pick('F1', '>Preferences: Color Theme', 'Preferences: Color Theme');
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: theme }).first().waitFor({ timeout: 5000 });
  await page.keyboard.press('Enter');
  await sleep(1200);
}

/**
 * Developer: Reload Window, as a user does: the workbench then saves its editor layout before the page goes
 * (a browser-level page.reload() only fires `beforeunload`, and VS Code for the Web cannot finish saving the
 * layout there). The palette's row is sometimes clicked while the list re-renders and the command does not
 * run (seen in about half the runs after the webview steps): up to three tries before calling it a failure.
 */
export async function reloadWindow(page, pick, log) {
  let navigated = false;
  for (let attempt = 1; attempt <= 3 && !navigated; attempt++) {
    const navigation = page
      .waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30000 })
      .then(
        () => true,
        () => false,
      );
    await page.keyboard.press('Escape');
    await pick('F1', '>Developer: Reload Window', 'Developer: Reload Window');
    navigated = await navigation;
    if (!navigated) log(`Developer: Reload Window did not reload the page (attempt ${attempt})`);
  }
  if (!navigated) throw new Error('Developer: Reload Window never reloaded the page');
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60000 });
}

/**
 * Draws one digit of test/fixtures/hand-digits.json on the Test tab's pad with mouse strokes (pad coordinates
 * 0..1 scaled to its box) after pressing Clear, and returns the predicted label once the prediction is done.
 */
export async function drawDigit(page, test, digit, waitFor) {
  const pad = test.locator('canvas.drawing-pad');
  const result = test.locator('.test-result');
  await test.locator('.drawing-tools vscode-button').nth(2).click(); // Clear
  const box = await pad.boundingBox();
  for (const stroke of digit.strokes) {
    const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point));
    await page.mouse.up();
  }
  await waitFor(
    async () => (await result.getAttribute('data-state')) === 'done',
    `the prediction of a ${digit.label}`,
    30000,
  );
  return test.locator('.test-prediction').getAttribute('data-label');
}

/**
 * Clicks the first row of the quick pick titled `title`, as a user does. False when that pick never shows, or
 * closes before the click lands, or stays open after it: a webview that was just revealed can take the focus
 * back and a key press then goes to it (seen in the e2e run: "Compare Runs…" after the Test tab ignored its
 * second Enter). The caller runs its command again.
 */
export async function clickFirstRow(page, title, ms = 10000) {
  const widget = page.locator('.quick-input-widget', {
    has: page.locator('.quick-input-title', { hasText: title }),
  });
  const row = widget.locator('.monaco-list-row').first();
  const settled = (locator, state) =>
    locator.waitFor({ state, timeout: ms }).then(
      () => true,
      () => false,
    );
  if (!(await settled(row, 'visible'))) return false;
  // The pick can close again between that wait and the click (its row then stays in the DOM, hidden: seen in
  // CI after the Test tab); a click that cannot land is a pick that did not take, not a failure.
  const clicked = await row.click({ timeout: ms }).then(
    () => true,
    () => false,
  );
  return clicked && settled(widget, 'hidden');
}

/**
 * Right-clicks a tree row and runs `label` from its context menu, as a user does. A click that comes right
 * after the menu opened is sometimes ignored (the menu stays open, seen in the e2e run): wait a moment before
 * clicking, and when the menu is still open afterwards close it and try again (three tries).
 */
export async function contextMenuAction(page, row, label, sleep) {
  const menu = page.locator('.monaco-menu').first();
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
    const shown = await item.waitFor({ state: 'visible', timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (shown) {
      await sleep(500);
      await item.click();
      const closed = await menu.waitFor({ state: 'hidden', timeout: 3000 }).then(
        () => true,
        () => false,
      );
      if (closed) return;
    }
    if (attempt === 3) throw new Error(`"${label}" in the context menu never ran`);
    await page.keyboard.press('Escape');
    await sleep(500);
  }
}
