// Bundles the in-VS-Code tests (test/extension/suite/*.ts) into out/test/extension/suite/, one file per
// test plus index.js (the extensionTestsPath module). `vscode` and `mocha` stay external: VS Code provides
// the first, the repository's node_modules the second.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const suite = join(root, 'test/extension/suite');
const outdir = join(root, 'out/test/extension/suite');
rmSync(outdir, { recursive: true, force: true });
const entries = readdirSync(suite)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => join(suite, f));
await esbuild.build({
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', '@tensorflow/*'],
  logLevel: 'warning',
  absWorkingDir: root,
});
await esbuild.build({
  entryPoints: [join(root, 'test/extension/runTest.ts')],
  outfile: join(root, 'out/test/extension/runTest.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@vscode/test-electron'],
  logLevel: 'warning',
});
console.log(`built ${entries.length} test modules into ${outdir}`);
