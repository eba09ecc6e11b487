// Steps of the e2e runner (scripts/e2e/run.mjs) about a run's and the server's lifecycle as a person sees
// them in the workbench, and the packaged-extension mode:
//   cancelFromNotification  train a long schema from the palette, press Cancel on its progress notification,
//                           see "was cancelled"
//   crashedNotification     after the in-host suite crashed the server (lifecycle.test.ts), the error
//                           notification is there with "Show Log" and "Restart Server"
//   packageAndInstallVsix   `npm run package`, then `code-server --install-extension x.vsix` into the
//                           throw-away extensions dir (the window then loads the extension as a user gets it)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const toastOf = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

/** Trains `long.stitch.json` (in the window's workspace) and cancels it from its progress notification. */
export async function cancelFromNotification({ page, pick, check, log }) {
  await pick('Control+P', 'long.stitch.json', 'long.stitch.json');
  await page.locator('.tabs-container .tab', { hasText: 'long.stitch.json' }).waitFor({ timeout: 20000 });
  await pick('F1', '>Stitch: Train Current Schema', 'Stitch: Train Current Schema');
  const progress = toastOf(page, 'Stitch: training spiral-long');
  // Wait for batch progress ("epoch 1 · batch …") so the cancel reaches a running trainer, not a queued run.
  await progress.filter({ hasText: 'epoch' }).waitFor({ timeout: 60000 });
  log('long run is training; pressing Cancel on its notification');
  await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
  const result = toastOf(page, 'spiral-long was cancelled');
  await result.waitFor({ timeout: 30000 });
  const text = await result.locator('.notification-list-item-message').innerText();
  check(/training spiral-long was cancelled/.test(text), `Cancel on the progress notification → "${text.trim()}"`);
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
