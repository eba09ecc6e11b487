/**
 * Shape inference and parameter counts per layer type, computed exactly as tf.layers does (so they match
 * `model.summary()` and `model.countParams()`). Shapes never include the batch dimension.
 *
 * Each function takes the input shapes, the layer's parameters with tf.layers defaults filled in, and the
 * source names (for messages); it returns the output shape and parameter count, or issues that say how
 * to fix the layer.
 */
import type { ProblemCode } from './problems';
import { toPair } from './params';

export type Shape = readonly number[];

export interface InferIssue {
  /** The parameter at fault (its path is reported), or undefined for the layer as a whole. */
  param?: string;
  code: ProblemCode;
  message: string;
}

export type InferResult = { outputShape: number[]; params: number } | { issues: InferIssue[] };

export type Params = Readonly<Record<string, unknown>>;

export type Inferer = (inputs: readonly Shape[], p: Params, sources: readonly string[]) => InferResult;

/** `[13, 13, 32]`; an unknown size shows as `?`, and a shape that could not be inferred as `?` alone. */
export function formatShape(shape: readonly (number | null)[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '?';
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

const fail = (code: ProblemCode, message: string, param?: string): InferResult => ({
  issues: [param === undefined ? { code, message } : { param, code, message }],
});

/** Why a 2-D layer cannot take this input, and the reshape that would fix it. */
function rankProblem(type: string, input: Shape): InferResult | null {
  if (input.length === 3) return null;
  const needs = `${type} needs a [height, width, channels] input but gets ${formatShape(input)}`;
  if (input.length === 2) {
    return fail(
      'wrong-rank',
      `${needs}; add a reshape layer with "targetShape": [${input[0]}, ${input[1]}, 1] before it`,
    );
  }
  if (input.length === 1) {
    const n = input[0];
    for (const channels of [1, 3]) {
      const side = Math.round(Math.sqrt(n / channels));
      if (side * side * channels === n) {
        return fail(
          'wrong-rank',
          `${needs}; add a reshape layer with "targetShape": [${side}, ${side}, ${channels}] before it, or set input.shape to it`,
        );
      }
    }
    return fail('wrong-rank', `${needs}; reshape it to [height, width, channels] first`);
  }
  return fail('wrong-rank', `${needs}; add a reshape layer that gives it 3 dimensions`);
}

const largestOdd = (n: number): number => (n % 2 === 0 ? Math.max(1, n - 1) : n);

/**
 * Output rows/cols of a sliding window (tfjs `convOutputLength`): 'valid' gives ceil((in - (k-1)·d) / s),
 * 'same' gives ceil(in / s). A 'valid' window larger than its input is an error with the size to use.
 */
function slide(
  input: Shape,
  p: Params,
  windowParam: string,
  stride: [number, number],
  dilation: [number, number],
  kernel: boolean,
): { rows: number; cols: number } | InferResult {
  const window = toPair(p[windowParam]);
  const padding = p.padding as string;
  const dims = [0, 1].map((i) => {
    if (padding === 'same') return Math.ceil(input[i] / stride[i]);
    const span = (window[i] - 1) * dilation[i] + 1;
    return span > input[i] ? -1 : Math.ceil((input[i] - span + 1) / stride[i]);
  });
  if (dims[0] > 0 && dims[1] > 0) return { rows: dims[0], cols: dims[1] };
  const fits = [0, 1].map((i) => {
    const max = Math.floor((input[i] - 1) / dilation[i]) + 1;
    return window[i] <= max ? window[i] : kernel ? largestOdd(max) : max;
  });
  const use = fits[0] === fits[1] ? `${fits[0]}` : formatShape(fits);
  const given = Array.isArray(p[windowParam]) ? formatShape(window) : `${window[0]}`;
  const spans =
    dilation[0] > 1 || dilation[1] > 1
      ? ` (with dilationRate ${formatShape(dilation)} it spans ${(window[0] - 1) * dilation[0] + 1}×${(window[1] - 1) * dilation[1] + 1})`
      : '';
  return fail(
    'kernel-too-large',
    `${given}${spans} is larger than the ${input[0]}×${input[1]} input of this layer; use ${use} or add padding "same"`,
    windowParam,
  );
}

function convWindow(type: string, input: Shape, p: Params, kernelParam: string, kernel: boolean) {
  const rank = rankProblem(type, input);
  if (rank) return rank;
  const stride = toPair(p.strides ?? p[kernelParam]);
  const dilation = toPair(p.dilationRate ?? 1);
  if ((stride[0] > 1 || stride[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
    return fail(
      'strides-and-dilation',
      `TensorFlow.js cannot combine strides > 1 with dilationRate > 1; set one of them to 1`,
      'dilationRate',
    );
  }
  return slide(input, p, kernelParam, stride, dilation, kernel);
}

const isResult = (x: unknown): x is InferResult =>
  typeof x === 'object' && x !== null && ('issues' in x || 'outputShape' in x);

const conv2d: Inferer = ([input], p) => {
  const w = convWindow('conv2d', input, p, 'kernelSize', true);
  if (isResult(w)) return w;
  const [kh, kw] = toPair(p.kernelSize);
  const filters = p.filters as number;
  return { outputShape: [w.rows, w.cols, filters], params: kh * kw * input[2] * filters + (p.useBias ? filters : 0) };
};

const depthwiseConv2d: Inferer = ([input], p) => {
  const w = convWindow('depthwiseConv2d', input, p, 'kernelSize', true);
  if (isResult(w)) return w;
  const [kh, kw] = toPair(p.kernelSize);
  const out = input[2] * (p.depthMultiplier as number);
  return { outputShape: [w.rows, w.cols, out], params: kh * kw * out + (p.useBias ? out : 0) };
};

const separableConv2d: Inferer = ([input], p) => {
  const w = convWindow('separableConv2d', input, p, 'kernelSize', true);
  if (isResult(w)) return w;
  const [kh, kw] = toPair(p.kernelSize);
  const depth = input[2] * (p.depthMultiplier as number);
  const filters = p.filters as number;
  return {
    outputShape: [w.rows, w.cols, filters],
    params: kh * kw * depth + depth * filters + (p.useBias ? filters : 0),
  };
};

/** Pools slide `poolSize` with strides that default to the pool size (tfjs). */
const pooling =
  (type: string): Inferer =>
  ([input], p) => {
    const w = convWindow(type, input, p, 'poolSize', false);
    if (isResult(w)) return w;
    return { outputShape: [w.rows, w.cols, input[2]], params: 0 };
  };

const globalAveragePooling2d: Inferer = ([input]) =>
  rankProblem('globalAveragePooling2d', input) ?? { outputShape: [input[2]], params: 0 };

/** Dense acts on the last axis, as in tfjs: [..., n] → [..., units]. */
const dense: Inferer = ([input], p) => {
  const units = p.units as number;
  const last = input[input.length - 1];
  return { outputShape: [...input.slice(0, -1), units], params: last * units + (p.useBias ? units : 0) };
};

/** tf.layers.flatten needs at least two dimensions besides the batch: it refuses a vector. */
const flatten: Inferer = ([input]) =>
  input.length < 2
    ? fail(
        'wrong-rank',
        `flatten needs an input of 2 or more dimensions, but ${formatShape(input)} is already a vector; remove this layer`,
        'type',
      )
    : { outputShape: [size(input)], params: 0 };

const passThrough: Inferer = ([input]) => ({ outputShape: [...input], params: 0 });

/**
 * tf.layers axes count the batch dimension as axis 0, so -1 is the last axis and 3 is the channels of an
 * image. Returns the index into our batch-less shape, or -1 when out of range.
 */
export function resolveAxis(axis: number, rank: number): number {
  const full = axis < 0 ? axis + rank + 1 : axis;
  return full >= 1 && full <= rank ? full - 1 : -1;
}

const axisProblem = (axis: number, input: Shape): InferResult =>
  fail(
    'invalid-value',
    `axis ${axis} does not exist in the ${input.length}-dimensional input ${formatShape(input)}; axes count the batch as 0, so use -1 (the last axis) or 1..${input.length}`,
    'axis',
  );

/** gamma and beta (unless center/scale are false) plus the moving mean and variance, as countParams() counts. */
const batchNormalization: Inferer = ([input], p) => {
  const axis = resolveAxis(p.axis as number, input.length);
  if (axis < 0) return axisProblem(p.axis as number, input);
  const c = input[axis];
  return { outputShape: [...input], params: (p.center ? c : 0) + (p.scale ? c : 0) + 2 * c };
};

const reshape: Inferer = ([input], p) => {
  const target = p.targetShape as number[];
  const total = size(input);
  const known = target.reduce((a, b) => (b === -1 ? a : a * b), 1);
  const inferIndex = target.indexOf(-1);
  if (inferIndex >= 0) {
    if (total % known === 0) {
      const out = [...target];
      out[inferIndex] = total / known;
      return { outputShape: out, params: 0 };
    }
    return fail(
      'reshape-size',
      `the input ${formatShape(input)} has ${total} values, which cannot be split into ${formatShape(target)}; make the other sizes divide ${total}`,
      'targetShape',
    );
  }
  if (known === total) return { outputShape: [...target], params: 0 };
  return fail(
    'reshape-size',
    `${formatShape(target)} holds ${known} values but the input ${formatShape(input)} has ${total}; make the sizes multiply to ${total}, or use -1 for one of them`,
    'targetShape',
  );
};

const describeSources = (inputs: readonly Shape[], sources: readonly string[]): string =>
  inputs.map((s, i) => `${formatShape(s)} from "${sources[i]}"`).join(', ');

const add: Inferer = (inputs, _p, sources) => {
  const first = formatShape(inputs[0]);
  if (inputs.every((s) => formatShape(s) === first)) return { outputShape: [...inputs[0]], params: 0 };
  return fail(
    'shape-mismatch',
    `add needs inputs of the same shape, got ${describeSources(inputs, sources)}; give convolutions padding "same", match filters/units, or use concatenate`,
    'inputs',
  );
};

const concatenate: Inferer = (inputs, p, sources) => {
  const rank = inputs[0].length;
  if (inputs.some((s) => s.length !== rank)) {
    return fail(
      'shape-mismatch',
      `concatenate needs inputs of the same rank, got ${describeSources(inputs, sources)}; flatten or reshape them first`,
      'inputs',
    );
  }
  const axis = resolveAxis(p.axis as number, rank);
  if (axis < 0) return axisProblem(p.axis as number, inputs[0]);
  const other = (s: Shape) => formatShape(s.filter((_, i) => i !== axis));
  if (inputs.some((s) => other(s) !== other(inputs[0]))) {
    return fail(
      'shape-mismatch',
      `concatenate along axis ${String(p.axis)} needs the other sizes to match, got ${describeSources(inputs, sources)}; change the axis or the layers' sizes`,
      'inputs',
    );
  }
  const out = [...inputs[0]];
  out[axis] = inputs.reduce((a, s) => a + s[axis], 0);
  return { outputShape: out, params: 0 };
};

export const INFERERS = {
  dense,
  conv2d,
  depthwiseConv2d,
  separableConv2d,
  maxPooling2d: pooling('maxPooling2d'),
  averagePooling2d: pooling('averagePooling2d'),
  globalAveragePooling2d,
  flatten,
  dropout: passThrough,
  batchNormalization,
  activation: passThrough,
  reshape,
  add,
  concatenate,
} as const satisfies Record<string, Inferer>;
