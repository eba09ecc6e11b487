/**
 * What the panel's Evaluate and Test tabs need to know about a run (docs/webview.md), from the run's detail
 * (`GET /api/runs/:id`): its evaluation, the `model.summary()` table of the schema it was trained from, how
 * the Test tab takes input (a drawing pad for 28×28 grey images, the decision boundary for two inputs, a form
 * for other flat inputs), and which layers' activations to ask for with each prediction. Pure: no vscode, no
 * HTTP (tested in test/extension/panels/modelTabs.test.ts).
 */
import { analyzeSchema } from '../../shared/schema';
import { modelSummary } from '../../shared/schema/summary';
import type { LayerShapeInfo, RunDetail } from '../../shared/protocol';
import type { InspectableLayer, RunModelView, TestInputKind } from '../../shared/webviewProtocol';

/** The server's bound on one request's activations (docs/server.md, POST /api/infer). */
export const MAX_ACTIVATION_LAYERS = 16;
export const MAX_ACTIVATION_VALUES = 262_144;

/** Feature maps are shown for these (as image grids); dense layers as heat strips. */
const GRID_TYPES = new Set(['conv2d', 'depthwiseConv2d', 'separableConv2d', 'maxPooling2d', 'averagePooling2d']);

export function inputKind(shape: readonly number[]): TestInputKind {
  if (shape.length === 3 && shape[0] === 28 && shape[1] === 28 && shape[2] === 1) return 'drawing';
  if (shape.length === 1 && shape[0] === 2) return 'points';
  if (shape.length === 1 && shape[0] > 0) return 'form';
  return 'none';
}

/**
 * Convolution and pooling layers ([h, w, c]) and dense layers ([n]) in model order, as many as the server's
 * bound admits: a layer that would pass it is skipped, so a later small one (the output) still shows.
 */
export function inspectableLayers(layers: readonly InspectableLayer[]): InspectableLayer[] {
  const chosen: InspectableLayer[] = [];
  let values = 0;
  for (const layer of layers) {
    const rank = layer.outputShape.length;
    const wanted = (GRID_TYPES.has(layer.type) && rank === 3) || (layer.type === 'dense' && rank === 1);
    if (!wanted || chosen.length >= MAX_ACTIVATION_LAYERS) continue;
    const size = layer.outputShape.reduce((a, b) => a * b, 1);
    if (values + size > MAX_ACTIVATION_VALUES) continue;
    values += size;
    chosen.push(layer);
  }
  return chosen;
}

/** Class names: the evaluation's, else "0".."k-1" from the output layer (one sigmoid unit is two classes). */
function classNames(detail: RunDetail, outputShape: readonly number[] | undefined): string[] {
  if (detail.evaluation) return detail.evaluation.classes;
  const units = outputShape?.length === 1 ? outputShape[0] : 0;
  return Array.from({ length: units === 1 ? 2 : units }, (_, i) => String(i));
}

export function runModelView(detail: RunDetail, featureNames: readonly string[] | null = null): RunModelView {
  const analysis = analyzeSchema(detail.schema);
  const layers = detail.schema.layers.flatMap((l): InspectableLayer[] => {
    const shape = analysis.shapes[l.id] as LayerShapeInfo | undefined;
    return shape ? [{ id: l.id, type: l.type, outputShape: shape.outputShape }] : [];
  });
  const inputShape = detail.schema.input.shape;
  const input = inputKind(inputShape);
  const width = input === 'form' || input === 'points' ? inputShape[0] : 0;
  const names =
    featureNames?.length === width ? [...featureNames] : Array.from({ length: width }, (_, i) => `x${String(i + 1)}`);
  const points =
    input === 'points'
      ? (detail.evaluation?.examples ?? []).flatMap((s) =>
          s.features?.length === 2 ? [{ x: s.features[0], y: s.features[1], label: s.label }] : [],
        )
      : [];
  const last = detail.schema.layers.at(-1);
  return {
    runId: detail.run_id,
    name: detail.name,
    evaluation: detail.evaluation,
    summary: analysis.valid ? modelSummary(detail.schema, analysis.shapes) : null,
    inputShape,
    classes: classNames(
      detail,
      last ? (analysis.shapes[last.id] as LayerShapeInfo | undefined)?.outputShape : undefined,
    ),
    input,
    featureNames: names,
    points,
    layers: inspectableLayers(layers),
  };
}

/** A CSV's header row → the feature columns (every column but `label`), in file order. */
export function csvFeatureNames(headerLine: string, label: string): string[] {
  return headerLine
    .split(',')
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
    .filter((c) => c !== '' && c !== label);
}
