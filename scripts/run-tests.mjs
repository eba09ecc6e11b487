// Runs the unit and server tests (test/**/*.test.ts, except the in-VS-Code suites under test/extension/suite
// and test/e2e) with Node's test runner, TypeScript loaded by tsx.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// test/extension/suite holds the mocha suites that run inside VS Code (npm run test:e2e), not here.
const skip = new Set(['test/extension/suite', 'test/e2e']);

function collect(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = relative(root, full);
    if (skip.has(rel)) continue;
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The SSE tests use a real browser EventSource: make sure Debian's Chromium is there (a fresh machine lacks it).
if (process.platform === 'linux') {
  const ensure = spawnSync('bash', [join(root, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
  if (ensure.status !== 0) {
    console.error(
      'could not install Chromium (scripts/ensure-chromium.sh); the browser EventSource test needs /usr/bin/chromium',
    );
    process.exit(1);
  }
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, STITCH_TEST: '1' },
});
process.exit(result.status ?? 1);
