/**
 * The loss head's kernels (crossEntropy.ts) on webgpu, one program each: the cross-entropy per row, its gradient,
 * the accuracy per row, softmax's gradient. Each invocation reads its whole row (a classifier's 10 classes), so a
 * row's sums are computed again by each of its values' invocations: cheaper than the dispatches they replace.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  ACCURACY_KERNEL,
  clipBounds,
  CROSS_ENTROPY_GRAD_KERNEL,
  CROSS_ENTROPY_KERNEL,
  SOFTMAX_GRAD_KERNEL,
} from './crossEntropy';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

const cols = (info: tf.TensorInfo) => info.shape[info.shape.length - 1];

/** WGSL: `sum`, the row's sum of Probs from `at`. */
const ROW_SUM = `var sum = 0.0;
          for (var j = 0; j < uniforms.cols; j++) {
            sum = sum + readProbs(at + j);
          }`;

/**
 * Runs a program over `shape` with the row width and the clip's bounds as uniforms. Its body reads input `N` as
 * `readN(i)`, a float32 whatever the input's buffer holds (tfjs's cast from int32 may keep an int32 buffer).
 */
function run(
  backend: unknown,
  options: { shape: number[]; variableNames: string[]; shaderKey: string; body: string },
  inputs: tf.TensorInfo[],
  epsilon = 0,
): tf.TensorInfo {
  const functions = options.variableNames
    .map((name) => `fn read${name}(i : i32) -> f32 {\n        return f32(${name}[i]);\n      }`)
    .join('\n      ');
  const program = elementwiseProgram({ ...options, functions, uniforms: 'cols : i32, low : f32, high : f32,' });
  const [low, high] = clipBounds(epsilon);
  return (backend as WebGPUBackend).runWebGPUProgram(program, inputs, 'float32', [
    { type: 'int32', data: [cols(inputs[inputs.length - 1])] },
    { type: 'float32', data: [low] },
    { type: 'float32', data: [high] },
  ]);
}

/** A program with one value per row of `output` ([rows, classes]), reading `target` as Labels and it as Probs. */
function perRow({ inputs, backend, attrs }: KernelArgs, shaderKey: string, body: string): tf.TensorInfo {
  const { target, output } = inputs as { target: tf.TensorInfo; output: tf.TensorInfo };
  const shape = output.shape.slice(0, -1);
  const epsilon = attrs?.epsilon as number | undefined;
  return run(backend, { shape, variableNames: ['Labels', 'Probs'], shaderKey, body }, [target, output], epsilon);
}

function crossEntropy(args: KernelArgs): tf.TensorInfo {
  return perRow(
    args,
    'stitchCrossEntropy',
    `let at = index * uniforms.cols;
          ${ROW_SUM}
          var loss = 0.0;
          for (var j = 0; j < uniforms.cols; j++) {
            let q = readProbs(at + j) / sum;
            var clipped = clamp(q, uniforms.low, uniforms.high);
            if (isnan(q)) {
              clipped = q;
            }
            loss = loss - readLabels(at + j) * log(clipped);
          }
          setOutputAtIndex(index, loss);`,
  );
}

function crossEntropyGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, target, output } = inputs as { dy: tf.TensorInfo; target: tf.TensorInfo; output: tf.TensorInfo };
  return run(
    backend,
    {
      shape: output.shape,
      variableNames: ['DY', 'Labels', 'Probs'],
      shaderKey: 'stitchCrossEntropyGrad',
      body: `let row = index / uniforms.cols;
          let at = row * uniforms.cols;
          let d = readDY(row);
          ${ROW_SUM}
          var fromSum = 0.0;
          var own = 0.0;
          for (var j = 0; j < uniforms.cols; j++) {
            let q = readProbs(at + j) / sum;
            var dq = 0.0;
            if (q >= uniforms.low && q <= uniforms.high) {
              dq = -d * readLabels(at + j) / q;
            }
            fromSum = fromSum - dq * readProbs(at + j) / (sum * sum);
            if (at + j == index) {
              own = dq;
            }
          }
          setOutputAtIndex(index, own / sum + fromSum);`,
    },
    [dy, target, output],
    attrs?.epsilon as number,
  );
}

function accuracy(args: KernelArgs): tf.TensorInfo {
  // The first largest value of each, as tfjs's ArgMax on the CPU backends (NaN never replaces one).
  return perRow(
    args,
    'stitchCategoricalAccuracy',
    `let at = index * uniforms.cols;
          var label = 0;
          var predicted = 0;
          for (var j = 1; j < uniforms.cols; j++) {
            if (readLabels(at + j) > readLabels(at + label)) {
              label = j;
            }
            if (readProbs(at + j) > readProbs(at + predicted)) {
              predicted = j;
            }
          }
          setOutputAtIndex(index, select(0.0, 1.0, label == predicted));`,
  );
}

function softmaxGrad({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  return run(
    backend,
    {
      shape: y.shape,
      variableNames: ['DY', 'Y'],
      shaderKey: 'stitchSoftmaxGrad',
      body: `let at = (index / uniforms.cols) * uniforms.cols;
          var sum = 0.0;
          for (var j = 0; j < uniforms.cols; j++) {
            sum = sum + readDY(at + j) * readY(at + j);
          }
          setOutputAtIndex(index, readDY(index) * readY(index) - sum * readY(index));`,
    },
    [dy, y],
  );
}

/** Registers the four kernels for webgpu (once; webgpuBackend.ts calls it when the backend loads). */
export function registerWebgpuCrossEntropy(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === CROSS_ENTROPY_KERNEL)) return;
  const kernels: [string, (args: KernelArgs) => tf.TensorInfo][] = [
    [CROSS_ENTROPY_KERNEL, crossEntropy],
    [CROSS_ENTROPY_GRAD_KERNEL, crossEntropyGrad],
    [ACCURACY_KERNEL, accuracy],
    [SOFTMAX_GRAD_KERNEL, softmaxGrad],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc });
  }
}
