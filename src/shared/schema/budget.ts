/**
 * What a model costs before it is built: its weights (parameters) and the activations one training batch
 * keeps for backpropagation, per layer and in all. A model over a budget (limits.ts) is an error at the layer
 * that costs the most, with the figure and what to reduce: the trainer would otherwise grow to gigabytes and
 * be killed by the system.
 */
import type { CheckedLayer } from './checkLayers';
import type { Graph } from './graph';
import { ACTIVATION_BUDGET_BYTES, BYTES_PER_VALUE, PARAM_BUDGET, formatBytes, formatCount } from './limits';
import type { ProblemCollector } from './problems';
import { formatShape } from './shapes';
import type { LayerType } from './types';

export interface ModelCost {
  /** Parameters of the layers that feed the output. */
  params: number;
  weightBytes: number;
  /** Bytes of every layer's output for one sample (float32), the input included. */
  activationBytesPerSample: number;
  batchSize: number;
  /** `activationBytesPerSample × batchSize`: what one training batch holds. */
  activationBytes: number;
}

/** The parameter that sets a layer's size, to name in "reduce …". */
const SIZE_PARAM: Partial<Record<LayerType, string>> = {
  dense: 'units',
  conv2d: 'filters',
  separableConv2d: 'filters',
  depthwiseConv2d: 'depthMultiplier',
};

function reduceHint(type: LayerType | undefined): string {
  const param = type === undefined ? undefined : SIZE_PARAM[type];
  return param === undefined ? 'make its input smaller' : `reduce ${param}`;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Adds up the cost of the layers whose shape was inferred and reports what is over budget. Returns the cost,
 * or undefined when no layer could be inferred.
 */
export function checkBudget(
  layers: readonly CheckedLayer[],
  graph: Graph,
  inferred: { shapes: readonly (number[] | undefined)[]; params: readonly (number | undefined)[] },
  input: { shape: readonly number[] | undefined; batchSize: number },
  out: ProblemCollector,
): ModelCost | undefined {
  let params = 0;
  let perSample = input.shape ? size(input.shape) * BYTES_PER_VALUE : 0;
  let largest = -1;
  let widest = -1;
  let widestBytes = 0;
  let inferredAny = false;
  for (const layer of layers) {
    const i = layer.index;
    const p = inferred.params[i];
    const shape = inferred.shapes[i];
    if (p === undefined || shape === undefined || !graph.feedsOutput[i]) continue;
    inferredAny = true;
    params += p;
    if (largest < 0 || p > (inferred.params[largest] ?? 0)) largest = i;
    const bytes = size(shape) * BYTES_PER_VALUE;
    perSample += bytes;
    if (bytes > widestBytes) {
      widest = i;
      widestBytes = bytes;
    }
    if (p > PARAM_BUDGET) {
      out.report(
        ['layers', i],
        'over-budget',
        `${layer.type ?? 'layer'} of ${formatCount(p)} parameters (${formatBytes(p * BYTES_PER_VALUE)} of weights) exceeds the ${formatCount(PARAM_BUDGET)} parameter budget; ${reduceHint(layer.type)}`,
      );
    }
  }
  if (!inferredAny) return undefined;
  const biggestAlone = largest >= 0 && (inferred.params[largest] ?? 0) > PARAM_BUDGET;
  if (params > PARAM_BUDGET && !biggestAlone && largest >= 0) {
    const type = layers[largest].type;
    out.report(
      ['layers', largest],
      'over-budget',
      `the model has ${formatCount(params)} parameters (${formatBytes(params * BYTES_PER_VALUE)} of weights), over the ${formatCount(PARAM_BUDGET)} parameter budget; this ${type ?? 'layer'} holds the most (${formatCount(inferred.params[largest] ?? 0)}): ${reduceHint(type)}`,
    );
  }
  const activationBytes = perSample * input.batchSize;
  if (activationBytes > ACTIVATION_BUDGET_BYTES && widest >= 0) {
    const type = layers[widest].type;
    const shape = inferred.shapes[widest] ?? [];
    out.report(
      ['layers', widest],
      'over-budget',
      `the model's activations take ${formatBytes(activationBytes)} for a batch of ${input.batchSize}, over the ${formatBytes(ACTIVATION_BUDGET_BYTES)} activation budget; this ${type ?? 'layer'} outputs the most, ${formatShape(shape)} per sample (${formatBytes(widestBytes * input.batchSize)} per batch): ${reduceHint(type)}, add strides or pooling before it, or lower training.batchSize`,
    );
  }
  return {
    params,
    weightBytes: params * BYTES_PER_VALUE,
    activationBytesPerSample: perSample,
    batchSize: input.batchSize,
    activationBytes,
  };
}
