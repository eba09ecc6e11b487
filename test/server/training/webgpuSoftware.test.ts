/**
 * The webgpu backend for real, on a machine without a GPU: Dawn (npm `webgpu`) on SwiftShader, the software
 * Vulkan driver that Debian's Chromium ships (`npm test` installs Chromium: scripts/ensure-chromium.sh). CI has
 * no GPU, so this is how every CI run trains, evaluates, saves and serves a model on tfjs-backend-webgpu.
 *
 * - Asked for by name, webgpu runs on the software adapter and says so. The whole run works: training, the
 *   final sample predictions, the evaluation, the saved model, `/api/infer` with activations (each of these
 *   once read tensors synchronously, which webgpu cannot do under Node: it needs an OffscreenCanvas), and the
 *   run record keeps its backend across a restart.
 * - Its numbers are wasm's: the same schema and seed train to the same losses within float32 rounding.
 * - Chosen automatically, a software adapter is skipped (slower than wasm), with the adapter named.
 * - The fused Adam (webgpuAdam.ts) gives tfjs's Adam's numbers in one program per variable and step and one per
 *   six variables (tfjs: 14 per variable), its packed state read and set as tfjs's, and
 *   without its scalar uploads; the dropout layer draws its mask on the GPU (webgpuDropout.ts) in one program,
 *   with the right share of zeros and scale, and its gradient; the fused layers (fusedLayers.ts) give tfjs-layers'
 *   gradients with fewer programs, ReLU's gradient in one; the loss head (crossEntropy.ts) gives tfjs's loss,
 *   gradients and accuracy with one program each; sums over leading axes take one program (webgpuReduce.ts), and
 *   so does MaxPool's gradient (webgpuPoolGrad.ts) (test/support/webgpuSteps.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InferResponse, RunDetail } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { checkRecord } from '../../../src/server/runs/recordCheck';
import { serveProcess, trainedRun, type ServeProcess } from '../reliability/cliProcess';

/** Where Chromium keeps SwiftShader's Vulkan driver (`STITCH_TEST_SWIFTSHADER_DIR` elsewhere). */
const SWIFTSHADER_DIR = process.env.STITCH_TEST_SWIFTSHADER_DIR ?? '/usr/lib/chromium';
const ICD = join(SWIFTSHADER_DIR, 'vk_swiftshader_icd.json');

/** The environment that shows Dawn only SwiftShader (and the Vulkan loader Chromium ships beside it). */
function softwareVulkan(): Record<string, string> {
  return {
    LD_LIBRARY_PATH: [SWIFTSHADER_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_DRIVER_FILES: ICD,
    VK_ICD_FILENAMES: ICD,
  };
}

const skip =
  process.platform !== 'linux' || process.arch !== 'x64'
    ? 'SwiftShader from Debian’s Chromium: Linux x64 only'
    : !existsSync(ICD)
      ? `no SwiftShader at ${ICD} (scripts/ensure-chromium.sh installs Chromium)`
      : false;

const schema: StitchSchema = {
  version: 1,
  name: 'webgpu-cnn',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'conv', type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { id: 'pool', type: 'maxPooling2d', poolSize: 2 },
    { id: 'flat', type: 'flatten' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: {
    dataset: 'mnist',
    epochs: 2,
    batchSize: 32,
    maxSamples: 320,
    testSamples: 200,
    validationSplit: 0.1,
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 11,
  },
};

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const body = (await response.json()) as T;
  assert.equal(response.status, 200, `${url}: ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

async function stop(server: ServeProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited.catch(() => undefined); // serveProcess's promise rejects on exit: the exit is what we wait for
}

test(
  'webgpu on a software adapter: asked for by name it trains like wasm; chosen automatically it is skipped',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stitch-webgpu-'));
    const args = (runs: string) => ['--runs-dir', join(dir, runs), '--data-dir', join(dir, 'data'), '--workspace', dir];
    try {
      const gpu = await serveProcess([...args('gpu'), '--backend', 'webgpu'], dir, softwareVulkan());
      let gpuRun: RunDetail;
      try {
        const health = await json<{ backend: string; backend_detail: string }>(`${gpu.url}/api/health`);
        assert.equal(health.backend, 'webgpu');
        assert.match(health.backend_detail, /^webgpu, google swiftshader .*a software adapter$/);

        const runId = await trainedRun(gpu, schema);
        gpuRun = await json<RunDetail>(`${gpu.url}/api/runs/${runId}`);
        assert.equal(gpuRun.backend, 'webgpu');
        assert.equal(gpuRun.metrics.length, 2);
        assert.ok(gpuRun.evaluation && gpuRun.test?.samples === 200, 'the test set was evaluated');
        const events = readFileSync(join(dir, 'gpu', runId, 'events.jsonl'), 'utf8');
        // Not assert.match: the file is ~100 KB, too long for a failure message.
        assert.ok(events.includes('"sample_predictions":[{"grid":'), 'the final state carries sample predictions');
        // The record a restarted server reads back keeps the backend (it once "repaired" webgpu to null).
        const checked = checkRecord(JSON.parse(readFileSync(join(dir, 'gpu', runId, 'run.json'), 'utf8')), runId);
        assert.ok('record' in checked);
        assert.deepEqual(checked.repairs, []);
        assert.equal(checked.record.backend, 'webgpu');

        const pixels = Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) * (i % 3 === 0 ? 1 : 0));
        const answer = await json<InferResponse>(`${gpu.url}/api/infer`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ run_id: runId, pixels, activations: ['conv', 'out'] }),
        });
        assert.equal(answer.probabilities.length, 10);
        assert.ok(Math.abs(answer.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
        assert.deepEqual(
          answer.activations?.map((a) => [a.id, a.shape]),
          [
            ['conv', [26, 26, 4]],
            ['out', [10]],
          ],
        );
      } finally {
        await stop(gpu);
      }

      const auto = await serveProcess(args('auto'), dir, softwareVulkan());
      try {
        const health = await json<{ backend: string }>(`${auto.url}/api/health`);
        const runId = await trainedRun(auto, schema);
        const wasmRun = await json<RunDetail>(`${auto.url}/api/runs/${runId}`);
        if (health.backend === 'tensorflow') return; // tfjs-node installed: it comes first, webgpu is never tried
        assert.equal(health.backend, 'wasm');
        assert.equal(wasmRun.backend, 'wasm');
        assert.match(
          auto.stderr(),
          /backend skipped: webgpu: Dawn found only a software adapter \(google swiftshader .*\), slower than wasm/,
        );
        // Same schema, seed and data order: the same training within float32 rounding (kernels sum differently).
        for (const [i, m] of gpuRun.metrics.entries()) {
          const w = wasmRun.metrics[i];
          assert.ok(
            Math.abs(m.train_loss - w.train_loss) < 1e-3 * w.train_loss,
            `epoch ${i + 1}: ${m.train_loss} vs ${w.train_loss}`,
          );
          assert.ok(Math.abs((m.val_loss ?? NaN) - (w.val_loss ?? NaN)) < 1e-3 * (w.val_loss ?? NaN));
        }
        assert.ok(Math.abs((gpuRun.test.accuracy ?? NaN) - (wasmRun.test?.accuracy ?? NaN)) <= 0.01);
      } finally {
        await stop(auto);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "the fused Adam (tfjs Adam's numbers, 1 program per variable and 1 per 6 instead of 14 per variable), the GPU dropout, the fused layers and the loss head on webgpu",
  { skip },
  () => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const script = join(__dirname, '../../support/webgpuSteps.ts');
    const output = execFileSync(process.execPath, ['--import', tsx, script], {
      env: { ...process.env, ...softwareVulkan() },
      encoding: 'utf8',
    });
    interface Run {
      losses: number[];
      perStep: { dispatches: number; uploads: number };
    }
    const result = JSON.parse(output.trim().split('\n').pop() ?? '') as {
      tfjs: Run;
      fused: Run;
      maxDiff: number;
      moved: number;
      dropout: {
        className: string;
        zeros: number;
        values: string[];
        differs: boolean;
        gradientIsMask: boolean;
        inferenceIsIdentity: boolean;
        matchesHost: boolean;
        call: { dispatches: number; uploads: number };
      };
      relu: {
        gradMatches: boolean;
        oursDispatches: number;
        theirsDispatches: number;
        fusedDispatches: number;
        plainDispatches: number;
        gradDiff: number;
      };
      lossHead: {
        lossDispatches: number;
        lossDiff: number;
        gradDiff: number;
        gradScale: number;
        accuracyValues: number[];
        tfjsAccuracy: number[];
        softmaxDiff: number;
        stepDispatches: { plain: number; fused: number };
        stepValues: { plain: number[]; fused: number[] };
        weightDiff: number;
        wide: { fused: string[]; diff: number };
      };
      reductions: { shape: number[]; dispatches: number; maxDiff: number; gradDiff: number; meanGradKernels: number }[];
      adamState: {
        stateNames: boolean;
        stateCount: number;
        stateDiff: number;
        stateKept: boolean;
        shiftDiff: number;
        weightDiff: number;
        restoredDiff: number;
        moved: number;
      };
      poolGrad: { same: boolean; dispatches: number }[];
    };
    const { tfjs, fused } = result;
    for (const [i, loss] of tfjs.losses.entries())
      assert.ok(Math.abs(loss - fused.losses[i]) < 1e-5, `step ${i + 1}: ${loss} vs ${fused.losses[i]}`);
    // Four steps moved the weights by up to ~0.04; the two optimizers' weights may differ by float32 rounding
    // only (on SwiftShader they are identical today; a GPU compiler may contract a multiply and add into one).
    assert.ok(result.moved > 1e-3, `training moved the weights by ${result.moved}`);
    assert.ok(result.maxDiff < 1e-5, `weights differ by ${result.maxDiff}`);
    // The model has 4 variables (conv and dense kernels and biases): 14 programs each with tfjs's Adam, 1 each
    // and 1 for all the moments with ours.
    assert.equal(tfjs.perStep.dispatches - fused.perStep.dispatches, 4 * 14 - (4 + 1), JSON.stringify(result));
    assert.ok(fused.perStep.uploads <= tfjs.perStep.uploads - 4 * 6, JSON.stringify(result));

    // Dropout at rate 0.3 on 20,000 values in training: ~30 % zeros (±1.5 points is > 4 standard deviations),
    // the others 1 / 0.7; a new mask each call; the gradient is the forward mask; inference changes nothing;
    // one program and no upload (tfjs's drew the numbers in JS and uploaded them); saved as a plain Dropout.
    const { dropout } = result;
    assert.ok(Math.abs(dropout.zeros - 0.3) < 0.015, JSON.stringify(dropout));
    assert.deepEqual(dropout.values, ['0.00000', (1 / 0.7).toFixed(5)]);
    assert.ok(dropout.differs && dropout.gradientIsMask && dropout.inferenceIsIdentity, JSON.stringify(dropout));
    assert.ok(dropout.matchesHost, 'the webgpu dropout draws other masks than the cpu and wasm kernel');
    assert.deepEqual(dropout.call, { dispatches: 1, uploads: 0 });
    assert.equal(dropout.className, 'Dropout');

    // The fused layers (fusedLayers.ts): ReLU's gradient is tfjs's Step and Multiply's values (NaN, ±0 and
    // infinities included) in one program instead of two, and a training pass of the model (a convolution with
    // ReLU, a dense layer with softmax) gives tfjs-layers' gradients with 3 programs fewer (its conv's Add and Relu
    // in FusedConv2D, its Step and Multiply in one).
    const { relu } = result;
    assert.ok(relu.gradMatches, JSON.stringify(relu));
    assert.deepEqual([relu.oursDispatches, relu.theirsDispatches], [1, 2]);
    assert.ok(relu.gradDiff < 1e-6, JSON.stringify(relu));
    assert.ok(relu.fusedDispatches <= relu.plainDispatches - 3, JSON.stringify(relu));

    // The loss head (crossEntropy.ts, webgpuCrossEntropy.ts): tfjs's cross-entropy per row in one program, its
    // gradient where the clip applies in some rows too, the accuracy with a tie (the first wins), softmax's
    // gradient; a training step gives tfjs's loss, accuracy and weights with 20 programs fewer (52 against 28).
    const head = result.lossHead;
    const said = JSON.stringify(head);
    assert.equal(head.lossDispatches, 1, said);
    assert.ok(head.lossDiff < 1e-5 && head.softmaxDiff < 1e-6, said);
    assert.ok(head.gradScale > 1 && head.gradDiff < 1e-5 * head.gradScale, said);
    assert.deepEqual(head.accuracyValues, head.tfjsAccuracy);
    assert.deepEqual(head.accuracyValues, [1, 1, 0, 0, 1, 1]);
    assert.ok(head.stepDispatches.fused <= head.stepDispatches.plain - 20, said);
    for (const [i, v] of head.stepValues.plain.entries())
      assert.ok(Math.abs(v - head.stepValues.fused[i]) < 1e-5, said);
    assert.ok(head.weightDiff < 1e-6, said);
    assert.deepEqual(head.wide.fused, [], said);
    assert.equal(head.wide.diff, 0, said);

    // Sum and Mean over leading axes (webgpuReduce.ts) in one program where tfjs transposes first, the sums of
    // float64 within float32 rounding; over the last axes, tfjs's own (one program too). Mean's gradient is one
    // program (StitchMeanGrad) with tfjs's quotients.
    const reductions = JSON.stringify(result.reductions);
    assert.deepEqual(
      result.reductions.map((r) => [r.shape, r.dispatches]),
      [
        [[8], 1],
        [[1, 130], 1],
        [[5], 1],
        [[6], 1],
      ],
      reductions,
    );
    for (const r of result.reductions) {
      assert.ok(r.maxDiff < 2e-5 && r.gradDiff < 1e-6 && r.meanGradKernels === 1, reductions);
    }

    // The fused Adam's packed state on 10 variables (two moments programs a step): tfjs Adam's weights, its
    // moments and iterations from getWeights (1 + 2 × 10, the same names), a fresh optimizer given tfjs's state
    // with setWeights steps as tfjs's does, and the state survives a step over fewer variables.
    const adam = result.adamState;
    assert.ok(adam.moved > 0.05, JSON.stringify(adam));
    assert.deepEqual([adam.stateNames, adam.stateCount], [true, 21], JSON.stringify(adam));
    assert.ok(adam.stateDiff < 1e-6 && adam.weightDiff < 1e-5 && adam.restoredDiff < 1e-5, JSON.stringify(adam));
    // What getWeights gave outlives the next step; moments follow the variables' positions as tfjs's do.
    assert.ok(adam.stateKept && adam.shiftDiff < 1e-6, JSON.stringify(adam));

    // MaxPool's gradient (webgpuPoolGrad.ts): the backend's values bit for bit (ties, NaN, −0; 'valid' and 'same',
    // 2×2 and 3×3) in one program where windows do not overlap; an overlapping pool keeps the backend's two.
    assert.deepEqual(
      result.poolGrad,
      [1, 1, 1, 1, 2].map((dispatches) => ({ same: true, dispatches })),
      JSON.stringify(result.poolGrad),
    );
  },
);
