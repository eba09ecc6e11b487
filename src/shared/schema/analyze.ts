/**
 * The schema core's entry points: `analyzeSchemaText` (with text ranges) and `analyzeSchema` (for a parsed
 * value) report every problem at once and infer each layer's output shape and parameter count.
 */
import { getNodeValue, parseTree, type ParseError } from 'jsonc-parser';
import type { LayerShapeInfo, ValidateResponse } from '../protocol';
import { SCHEMA_VERSION, TRAINING_DEFAULTS, type StitchSchema } from './types';
import { checkLayers, type CheckedLayer } from './checkLayers';
import { checkTraining, type OutputInfo } from './checkTraining';
import type { DatasetInfoProvider } from './datasets';
import { checkBudget, type ModelCost } from './budget';
import { buildGraph, INPUT_INDEX, MAX_CYCLES, type Graph } from './graph';
import { MAX_CHAIN_DEPTH } from './limits';
import { measureText, measureValue, type Oversize } from './measure';
import { LAYERS } from './layers';
import { syntaxMessage, treeLocator } from './locate';
import { checkParamValue, describeType, type ParamDef } from './params';
import { LIMIT_CODES, ProblemCollector, noLocator, type Locator, type Problem } from './problems';
import type { Shape } from './shapes';
import { closestMatch, didYouMean } from './suggest';
import { isObject } from '../isObject';

export interface AnalyzeOptions {
  /** Describes a CSV/IDX dataset the server has read (input shape, classes); built-ins are known already. */
  datasetInfo?: DatasetInfoProvider;
}

export interface Analysis {
  /** The schema when it has no errors (warnings allowed), ready to train; otherwise null. */
  schema: StitchSchema | null;
  /** The parsed value, whatever it is (undefined when the text is not JSON at all). */
  value: unknown;
  valid: boolean;
  /** Errors and warnings, in document order of discovery. */
  problems: Problem[];
  /** Output shape (no batch dimension) and parameter count per layer id, for layers that could be inferred. */
  shapes: Record<string, LayerShapeInfo>;
  /** Total parameter count of the model (as model.countParams()); 0 unless every layer could be inferred. */
  params: number;
  /** The model's output shape, when inferred. */
  outputShape: number[] | null;
  /** Weights and activation memory of the layers that could be inferred (undefined when none could). */
  cost?: ModelCost;
  /** Problems counted but not listed (the last problem says how many); 0 when all are listed. */
  omitted: number;
}

const TOP_LEVEL_KEYS = ['$schema', 'version', 'name', 'description', 'input', 'layers', 'training', 'layout'];

const INPUT_SHAPE: ParamDef = {
  name: 'shape',
  kind: 'shape',
  required: true,
  description: 'Shape of one sample, without the batch dimension.',
};

type Raw = Record<string, unknown>;

/** Builds the syntax tree only when a problem needs a range: most keystrokes leave a valid file. */
function lazyTreeLocator(text: string): Locator {
  let locate: Locator | undefined;
  return (segments, target) => {
    locate ??= treeLocator(parseTree(text, [], { allowTrailingComma: false, disallowComments: false }));
    return locate(segments, target);
  };
}

/**
 * Analyzes schema text (JSON; comments allowed); every problem carries its text range. Plain JSON takes a
 * fast path through JSON.parse (several times faster than jsonc-parser's scanner); text with comments or
 * syntax errors goes through jsonc-parser.
 */
export function analyzeSchemaText(text: string, options: AnalyzeOptions = {}): Analysis {
  const oversize = measureText(text);
  if (oversize) return refused(undefined, oversize);
  let parsed: { value: unknown } | undefined;
  try {
    parsed = { value: JSON.parse(text) };
  } catch {
    parsed = undefined;
  }
  if (parsed) return analyzeValue(parsed.value, lazyTreeLocator(text), options);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: false });
  const locate = treeLocator(root);
  const value: unknown = root ? getNodeValue(root) : undefined;
  if (errors.length > 0 || root === undefined) {
    // Keep the shapes of what could be recovered (the editor keeps its hints while typing), but report only
    // the syntax errors: checks of a half-parsed value would mostly be noise.
    const recovered = root ? analyzeValue(value, noLocator, options) : undefined;
    const problems: Problem[] = errors.map((e) => ({
      path: '',
      segments: [],
      message: syntaxMessage(e),
      severity: 'error',
      code: 'json-syntax',
      // jsonc-parser can give an unclosed comment at the end a length past the text: keep ranges inside it.
      range: {
        offset: Math.min(e.offset, text.length),
        length: Math.max(0, Math.min(e.length, text.length - e.offset)),
      },
    }));
    if (problems.length === 0) {
      problems.push({
        path: '',
        segments: [],
        message: 'the file is empty; write a schema object { "version": 1, … }',
        severity: 'error',
        code: 'json-syntax',
        range: { offset: 0, length: text.length },
      });
    }
    return {
      schema: null,
      value,
      valid: false,
      problems: problems.slice(0, MAX_SYNTAX_ERRORS),
      shapes: recovered?.shapes ?? nullRecord(),
      params: 0,
      outputShape: null,
      omitted: Math.max(0, problems.length - MAX_SYNTAX_ERRORS),
    };
  }
  return analyzeValue(value, locate, options);
}

/** Analyzes an already-parsed schema value; problem ranges are null. */
export function analyzeSchema(value: unknown, options: AnalyzeOptions = {}): Analysis {
  const oversize = measureValue(value);
  if (oversize) return refused(value, oversize);
  return analyzeValue(value, noLocator, options);
}

/** Syntax errors listed; jsonc-parser reports one per bad token, so a damaged big file can have thousands. */
const MAX_SYNTAX_ERRORS = 20;

/** Shapes by layer id without a prototype, so that no id can collide with an inherited member. */
function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A schema too large or too deep to read: one problem, nothing else is analysed. */
function refused(value: unknown, oversize: Oversize): Analysis {
  const problem: Problem = {
    path: '',
    segments: [],
    message: oversize.message,
    severity: 'error',
    code: oversize.code,
    range: oversize.offset === undefined ? null : { offset: oversize.offset, length: 1 },
  };
  return {
    schema: null,
    value,
    valid: false,
    problems: [problem],
    shapes: nullRecord(),
    params: 0,
    outputShape: null,
    omitted: 0,
  };
}

function checkTopLevel(root: Raw, out: ProblemCollector): number[] | undefined {
  for (const key of Object.keys(root)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const suggestion = closestMatch(key, TOP_LEVEL_KEYS);
    out.warn(
      [key],
      'unknown-property',
      `unknown key "${key}"${didYouMean(suggestion)} (a schema has ${TOP_LEVEL_KEYS.slice(1).join(', ')}); it is ignored`,
      suggestion === undefined ? { target: 'key' } : { target: 'key', suggestion },
    );
  }
  if (root.version === undefined) out.warn(['version'], 'missing-version', `add "version": ${SCHEMA_VERSION}`);
  else if (root.version !== SCHEMA_VERSION)
    out.report(
      ['version'],
      'unsupported-version',
      `this Stitch reads version ${SCHEMA_VERSION}; set "version": ${SCHEMA_VERSION}`,
    );
  for (const key of ['name', 'description']) {
    if (root[key] !== undefined && typeof root[key] !== 'string')
      out.report([key], 'wrong-type', `must be a string, got ${describeType(root[key])}`);
  }
  if (root.layout !== undefined && !isObject(root.layout)) {
    out.report(
      ['layout'],
      'wrong-type',
      `must be an object of positions by layer id, e.g. { "conv1": { "x": 0, "y": 0 } }`,
    );
  }
  const input = root.input;
  if (input === undefined) {
    out.report(
      ['input'],
      'missing-input',
      `add "input": { "shape": [...] }, the shape of one sample without the batch dimension, e.g. [28, 28, 1]`,
    );
    return undefined;
  }
  if (!isObject(input)) {
    out.report(['input'], 'wrong-type', `must be { "shape": [...] }, got ${describeType(input)}`);
    return undefined;
  }
  for (const key of Object.keys(input)) {
    if (key !== 'shape')
      out.report(
        ['input', key],
        'unknown-property',
        `unknown key "${key}"${didYouMean(closestMatch(key, ['shape']))} (input takes only "shape")`,
        { target: 'key' },
      );
  }
  if (input.shape === undefined) {
    out.report(
      ['input', 'shape'],
      'invalid-input-shape',
      `add "shape": the shape of one sample without the batch dimension, e.g. [28, 28, 1]`,
    );
    return undefined;
  }
  const issue = checkParamValue(INPUT_SHAPE, input.shape);
  if (issue) {
    out.report(['input', 'shape'], 'invalid-input-shape', issue.message);
    return undefined;
  }
  return input.shape as number[];
}

/** Cycles and layers that do not feed the output. */
function checkGraph(layers: CheckedLayer[], graph: Graph, out: ProblemCollector): void {
  const name = (i: number) => `"${layers[i].id ?? `layers[${i}]`}"`;
  for (const cycle of graph.cycles) {
    // Report at the `inputs` entry that points forward: default chaining only points back, so it exists.
    const pos = cycle.findIndex((node, k) => cycle[(k + 1) % cycle.length] > node);
    const at = pos < 0 ? 0 : pos;
    const node = cycle[at];
    const next = cycle[(at + 1) % cycle.length];
    const entry = layers[node].inputs?.indexOf(layers[next].id ?? '') ?? -1;
    const chain = describeCycle([...cycle.slice(at), ...cycle.slice(0, at), node].map(name));
    out.report(
      entry >= 0 ? ['layers', node, 'inputs', entry] : ['layers', node, 'inputs'],
      'cycle',
      `the layers form a cycle, ${chain} (← means "takes its input from"); a layer cannot depend on its own output, so remove ${name(next)} from these inputs`,
    );
  }
  const inCycle = new Set(graph.cycles.flat());
  // When some cycles went unreported, a layer that no order could place may sit on one of them.
  const placed = new Set(graph.cycles.length >= MAX_CYCLES ? graph.order : []);
  const last = layers.length - 1;
  for (const layer of layers) {
    if (graph.feedsOutput[layer.index] || inCycle.has(layer.index)) continue;
    if (graph.cycles.length >= MAX_CYCLES && !placed.has(layer.index)) continue;
    out.report(
      ['layers', layer.index, 'id'],
      'unreachable',
      `${name(layer.index)} does not feed the output layer ${name(last)} (the last layer); use it in a later layer's "inputs" or remove it`,
    );
  }
}

/** `"a" ← "b" ← "a"`; a long cycle shows its first and last few layers and how many lie between. */
function describeCycle(names: string[]): string {
  if (names.length <= 9) return names.join(' ← ');
  return [...names.slice(0, 4), `… (${names.length - 8} more) …`, ...names.slice(-4)].join(' ← ');
}

/**
 * The trainer's stack holds one frame set per layer on the longest path (tfjs builds and differentiates
 * the graph recursively): report the first layer deeper than MAX_CHAIN_DEPTH.
 */
function checkChainDepth(layers: CheckedLayer[], graph: Graph, out: ProblemCollector): void {
  for (const i of graph.order) {
    if (graph.depth[i] <= MAX_CHAIN_DEPTH) continue;
    out.report(
      ['layers', i],
      'chain-too-deep',
      `${layers[i].id === undefined ? 'this layer' : `"${layers[i].id}"`} sits ${graph.depth[i]} layers deep, more than the ${MAX_CHAIN_DEPTH} TensorFlow.js can train without overflowing its stack; make the model shallower`,
    );
    return;
  }
}

interface Inferred {
  shapes: (number[] | undefined)[];
  params: (number | undefined)[];
}

/** Output shapes in topological order; a layer with a wrong parameter or source is skipped, with its consumers. */
function inferShapes(
  layers: CheckedLayer[],
  graph: Graph,
  inputShape: Shape | undefined,
  out: ProblemCollector,
): Inferred {
  const shapes = new Array<number[] | undefined>(layers.length).fill(undefined);
  const params = new Array<number | undefined>(layers.length).fill(undefined);
  for (const i of graph.order) {
    const layer = layers[i];
    if (layer.type === undefined || layer.config === undefined) continue;
    const srcs = graph.sources[i];
    const expected = layer.inputs?.length ?? 1;
    const def = LAYERS[layer.type];
    if (srcs.length !== expected || (def.merge ? srcs.length < 2 : srcs.length !== 1)) continue;
    const inputs = srcs.map((s) => (s === INPUT_INDEX ? inputShape : shapes[s]));
    if (inputs.some((s) => s === undefined)) continue;
    const names = srcs.map((s) => (s === INPUT_INDEX ? 'input' : (layers[s].id ?? `layers[${s}]`)));
    const result = def.infer(inputs as Shape[], layer.config, names);
    if ('issues' in result) {
      for (const issue of result.issues) out.report(['layers', i, issue.param ?? 'type'], issue.code, issue.message);
      continue;
    }
    shapes[i] = result.outputShape;
    params[i] = result.params;
  }
  return { shapes, params };
}

const PASS_THROUGH = new Set(['dropout', 'flatten', 'reshape']);

/** The output's shape, the activation that produces its values, and where its size is set. */
function outputInfo(layers: CheckedLayer[], graph: Graph, inferred: Inferred): OutputInfo | undefined {
  const last = layers.length - 1;
  const shape = inferred.shapes[last];
  if (!shape) return undefined;
  let i = last;
  while (PASS_THROUGH.has(layers[i].type ?? '') && graph.sources[i].length === 1 && graph.sources[i][0] !== INPUT_INDEX)
    i = graph.sources[i][0];
  const config = layers[i].config ?? {};
  const activation = typeof config.activation === 'string' ? config.activation : undefined;
  const unitsPath = layers[i].type === 'dense' ? ['layers', i, 'units'] : ['layers', i, 'type'];
  return { shape, activation, unitsPath };
}

function analyzeValue(value: unknown, locate: Locator, options: AnalyzeOptions): Analysis {
  const out = new ProblemCollector(locate);
  const empty = (): Analysis => ({
    schema: null,
    value,
    valid: false,
    problems: out.problems,
    shapes: nullRecord(),
    params: 0,
    outputShape: null,
    omitted: 0,
  });
  if (!isObject(value)) {
    out.report(
      [],
      'not-an-object',
      `a schema is an object like { "version": 1, "input": { "shape": [2] }, "layers": [...] }, got ${describeType(value)}`,
    );
    return empty();
  }
  const inputShape = checkTopLevel(value, out);
  const layers = checkLayers(value.layers, out);
  if (out.problems.some((p) => LIMIT_CODES.has(p.code))) return empty();
  const graph = buildGraph(layers.map((l) => ({ id: l.id, inputs: l.inputs })));
  checkGraph(layers, graph, out);
  checkChainDepth(layers, graph, out);
  const inferred = inferShapes(layers, graph, inputShape, out);
  const cost = checkBudget(layers, graph, inferred, { shape: inputShape, batchSize: batchSizeOf(value.training) }, out);

  const last = layers.length - 1;
  const output = layers.length > 0 ? outputInfo(layers, graph, inferred) : undefined;
  if (output && output.shape.length !== 1) {
    out.report(
      ['layers', last, 'type'],
      'output-rank',
      `the model outputs shape [${output.shape.join(', ')}] per sample, but training needs one vector per sample (the class scores); add a flatten or globalAveragePooling2d layer before the output layer`,
    );
  }
  checkTraining(value.training, { inputShape, output, datasetInfo: options.datasetInfo }, out);
  out.finish();

  const shapes = nullRecord<LayerShapeInfo>();
  let total = 0;
  let complete = layers.length > 0;
  for (const layer of layers) {
    const shape = inferred.shapes[layer.index];
    const params = inferred.params[layer.index];
    if (shape === undefined || params === undefined) {
      complete = false;
      continue;
    }
    if (layer.id !== undefined) shapes[layer.id] = { outputShape: shape, params };
    if (graph.feedsOutput[layer.index]) total += params;
  }
  const valid = out.errorCount === 0;
  return {
    schema: valid ? (value as unknown as StitchSchema) : null,
    value,
    valid,
    problems: out.problems,
    shapes,
    params: complete ? total : 0,
    outputShape: layers.length > 0 ? (inferred.shapes[last] ?? null) : null,
    ...(cost === undefined ? {} : { cost }),
    omitted: out.omitted,
  };
}

/** The batch size training will use (a wrong value is reported by checkTraining; the default stands in). */
function batchSizeOf(training: unknown): number {
  const size = isObject(training) ? training.batchSize : undefined;
  return typeof size === 'number' && Number.isInteger(size) && size >= 1 ? size : TRAINING_DEFAULTS.batchSize;
}

/** The body of `POST /api/validate` (errors only; warnings are for the editor). */
export function toValidateResponse(analysis: Analysis): ValidateResponse {
  return {
    valid: analysis.valid,
    errors: analysis.problems.filter((p) => p.severity === 'error').map((p) => ({ path: p.path, message: p.message })),
    // A plain object for the wire (CreateDataProperty keeps every id an own key).
    shapes: Object.fromEntries(Object.entries(analysis.shapes)),
    params: analysis.params,
  };
}
