/**
 * The in-VS-Code test entry point (`extensionTestsPath`): VS Code requires this module inside the extension
 * host and awaits `run()`. It runs every bundled `*.test.js` next to it with mocha, in name order.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.STITCH_E2E_GREP;
  if (grep) mocha.grep(grep);
  for (const file of readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const failed: string[] = [];
    const runner = mocha.run((failures) => {
      const summary = [`${runner.stats?.passes ?? 0} passing, ${failures} failing`, ...failed].join('\n');
      // The remote extension host's stdout goes nowhere: leave the summary where the harness can read it.
      if (process.env.STITCH_E2E_RESULT) writeFileSync(process.env.STITCH_E2E_RESULT, summary + '\n');
      if (failures > 0) reject(new Error(summary));
      else resolve();
    });
    // The summary names each failure with its error, so a CI log that shows only its tail says what broke.
    runner.on('fail', (test, err: Error) => {
      const where = err.stack
        ?.split('\n')
        .find((l) => /\.test\.(js|ts)/.test(l))
        ?.trim();
      failed.push(`  ${test.fullTitle()}: ${err.message.split('\n')[0]}${where ? ` (${where})` : ''}`);
    });
  });
}
