// Steps of the e2e runner (scripts/e2e/run.mjs) about a run's and the server's lifecycle as a person sees
// them in the workbench, and the packaged-extension mode:
//   cancelFromStatusBar     train a long schema from the palette: its progress is in the status bar item
//                           ("epoch 1/… · batch …"), no progress toast is up; the item's menu cancels it,
//                           and "was cancelled" is told
//   crashedNotification     after the in-host suite crashed the server (lifecycle.test.ts), the error
//                           notification is there with "Show Log" and "Restart Server"
//   packageAndInstallVsix   `npm run package`, then `code-server --install-extension x.vsix` into the
//                           throw-away extensions dir (the window then loads the extension as a user gets it)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const toastOf = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

/**
 * Trains `long.stitch.json` (in the window's workspace): progress shows in the status bar item, not in a
 * toast; the item's click menu cancels the run (docs/extension.md, "Progress and notifications").
 */
export async function cancelFromStatusBar({ page, pick, check, log }) {
  await pick('Control+P', 'long.stitch.json', 'long.stitch.json');
  await page.locator('.tabs-container .tab', { hasText: 'long.stitch.json' }).waitFor({ timeout: 20000 });
  await pick('F1', '>Stitch: Train Current Schema', 'Stitch: Train Current Schema');
  const item = page.locator('.part.statusbar .statusbar-item', { hasText: 'spiral-long' }).first();
  // Wait for batch progress so the cancel reaches a running trainer, not a queued run.
  await item.filter({ hasText: /batch \d+\/\d+/ }).waitFor({ timeout: 60000 });
  const text = (await item.innerText()).trim();
  check(
    /spiral-long epoch 1\/\d+ · batch \d+\/\d+ · \d+%/.test(text),
    `status bar shows the run's progress: "${text}"`,
  );
  const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  check(
    !toasts.some((t) => /training spiral-long|epoch \d|batch \d/.test(t)),
    `no progress toast during the run (toasts: ${JSON.stringify(toasts.map((t) => t.trim().slice(0, 60)))})`,
  );
  log("long run is training; cancelling from the status bar item's menu");
  await item.click();
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Cancel spiral-long' }).first();
  await row.waitFor({ timeout: 10000 });
  await row.click();
  const result = toastOf(page, 'spiral-long was cancelled');
  await result.waitFor({ timeout: 30000 });
  const message = await result.locator('.notification-list-item-message').innerText();
  check(/training spiral-long was cancelled/.test(message), `Cancel in the status bar menu → "${message.trim()}"`);
}

/**
 * The crash notification left by the in-host suite, with its buttons. (Pressing them cannot be checked
 * here: the test window's extension host exits when the suite ends.)
 */
export async function crashedNotification({ page, check }) {
  const toast = toastOf(page, 'stopped 3 times in a row');
  await toast.waitFor({ timeout: 10000 });
  const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
  const buttons = (await toast.locator('.monaco-button').allInnerTexts()).map((b) => b.trim());
  check(
    buttons.includes('Show Log') && buttons.includes('Restart Server'),
    `crash notification "${text}" with buttons ${JSON.stringify(buttons)}`,
  );
}

/** Builds the .vsix with the project's own `npm run package` and installs it like a user would. */
export function packageAndInstallVsix({ root, csBin, extDir, userDataDir, env, log, check }) {
  const t = Date.now();
  execFileSync('npm', ['run', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const vsix = path.join(root, `stitch-${version}.vsix`);
  check(
    fs.existsSync(vsix),
    `packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1e6).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  execFileSync(
    csBin,
    ['--install-extension', vsix, '--extensions-dir', extDir, '--user-data-dir', userDataDir, '--force'],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const installed = fs.readdirSync(extDir).find((d) => d.startsWith('stitch-dev.stitch-'));
  check(
    !!installed && fs.existsSync(path.join(extDir, installed, 'dist/extension.js')),
    `installed into the extensions dir as ${installed}`,
  );
  log('the window loads the installed extension (no extensionDevelopmentPath)');
}
