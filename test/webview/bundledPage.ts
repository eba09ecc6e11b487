/**
 * A page of webview code in a real Chromium (Debian's, driven by playwright-core): `pageCode` is bundled with
 * esbuild as the webview is, then loaded into `body` with optional CSS. Any error the page throws while loading
 * fails the test's setup.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(__dirname, '../..');

export async function openBundledPage(
  pageCode: string,
  options: { body: string; css?: string; viewport?: { width: number; height: number } },
): Promise<{ browser: Browser; page: Page }> {
  const bundle = await build({
    stdin: { contents: pageCode, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    format: 'iife',
    write: false,
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {});
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent(`<!doctype html>${options.body}`);
  if (options.css) await page.addStyleTag({ content: options.css });
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  assert.deepEqual(errors, []);
  return { browser, page };
}
