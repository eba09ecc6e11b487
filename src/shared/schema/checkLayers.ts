/**
 * Checks of the `layers` array one layer at a time: ids, types, parameters and the form of `inputs`.
 * Graph-wide rules (cycles, reachability, shapes) come after, in analyze.ts.
 */
import { MODEL_INPUT_ID, type LayerType } from './types';
import { LAYERS, LAYER_ALIASES, LAYER_KEYS, LAYER_TYPES, isLayerType } from './layers';
import { checkParamValue, describeType } from './params';
import type { ProblemCollector } from './problems';
import { MAX_ID_LENGTH, MAX_INPUTS_PER_LAYER, MAX_LAYERS } from './limits';
import { closestMatch, didYouMean } from './suggest';

/** Unknown `inputs` names that get a "did you mean" search against every id. */
const MAX_SUGGESTION_SEARCHES = 20;
import { isObject } from '../isObject';

export interface CheckedLayer {
  index: number;
  /** The layer's id when it is a valid, unique one. */
  id: string | undefined;
  type: LayerType | undefined;
  /** The ids named in `inputs` when it is a list of strings; undefined when absent or malformed. */
  inputs: string[] | undefined;
  /** Parameters with tf.layers defaults filled in; undefined when any parameter is wrong or missing. */
  config: Record<string, unknown> | undefined;
}

/** tfjs accepts layer names that start with a letter or digit; ours start with a letter (ids are not numbers). */
const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Names of Object.prototype: tfjs keeps layers in plain objects keyed by name, where `constructor` or
 * `toString` collide with inherited members (`__proto__` and the other `__` names already fail ID_PATTERN).
 */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

type Raw = Record<string, unknown>;

/** Types whose parameters include `name`, for "units belongs to dense". */
function ownersOf(param: string): LayerType[] {
  return LAYER_TYPES.filter((t) => LAYERS[t].params.some((p) => p.name === param));
}

function checkId(raw: Raw, index: number, seen: Map<string, number>, out: ProblemCollector): string | undefined {
  const at = ['layers', index, 'id'];
  const id = raw.id;
  if (
    typeof id === 'string' &&
    id.length <= MAX_ID_LENGTH &&
    ID_PATTERN.test(id) &&
    id !== MODEL_INPUT_ID &&
    !PROTOTYPE_NAMES.has(id) &&
    !seen.has(id)
  ) {
    seen.set(id, index);
    return id; // the common case, kept cheap for big schemas
  }
  const proposal = `${typeof raw.type === 'string' && isLayerType(raw.type) ? raw.type : 'layer'}${index + 1}`;
  if (id === undefined) {
    out.report(at, 'missing-id', `every layer needs a unique "id"; add "id": ${JSON.stringify(proposal)}`);
    return undefined;
  }
  if (typeof id !== 'string' || id === '') {
    out.report(
      at,
      'wrong-type',
      `must be a non-empty string, got ${describeType(id)}; e.g. ${JSON.stringify(proposal)}`,
    );
    return undefined;
  }
  if (id === MODEL_INPUT_ID) {
    out.report(
      at,
      'reserved-id',
      `"${MODEL_INPUT_ID}" names the model input in "inputs"; give this layer another id, e.g. ${JSON.stringify(proposal)}`,
    );
    return undefined;
  }
  if (id.length > MAX_ID_LENGTH) {
    const fixed = ID_PATTERN.test(id.slice(0, 32)) ? id.slice(0, 32) : proposal;
    out.report(
      at,
      'invalid-id',
      `ids may be at most ${MAX_ID_LENGTH} characters, this one has ${id.length.toLocaleString('en-US')}; use a short name, e.g. ${JSON.stringify(fixed)}`,
      { suggestion: fixed },
    );
    return undefined;
  }
  if (!ID_PATTERN.test(id)) {
    // TensorFlow.js refuses layer names that start with "_" (and so with "__proto__"), ".", or "-".
    const fixed =
      id
        .slice(0, 64)
        .replace(/[^A-Za-z0-9_.-]/g, '_')
        .replace(/^[^A-Za-z]+/, '') || proposal;
    out.report(
      at,
      'invalid-id',
      `ids may use letters, digits, "_", "." and "-" and must start with a letter (TensorFlow.js refuses other layer names); use ${JSON.stringify(fixed)}`,
      { suggestion: fixed },
    );
    return undefined;
  }
  if (PROTOTYPE_NAMES.has(id)) {
    out.report(
      at,
      'reserved-id',
      `"${id}" is the name of a built-in JavaScript property, which TensorFlow.js cannot use as a layer name; use e.g. "${id}_1"`,
      { suggestion: `${id}_1` },
    );
    return undefined;
  }
  const first = seen.get(id);
  if (first !== undefined) {
    // Look for a free name only while the problem is kept: with thousands of copies of one id, the search
    // for each would make the check quadratic.
    let n = 2;
    while (!out.full && n < 100 && seen.has(`${id}_${n}`)) n++;
    out.report(
      at,
      'duplicate-id',
      `"${id}" is already the id of layers[${first}]; ids must be unique, e.g. "${id}_${n}"`,
      { suggestion: `${id}_${n}` },
    );
    return undefined;
  }
  seen.set(id, index);
  return id;
}

function checkType(raw: Raw, index: number, out: ProblemCollector): LayerType | undefined {
  const at = ['layers', index, 'type'];
  const type = raw.type;
  if (isLayerType(type)) return type;
  const list = LAYER_TYPES.join(', ');
  if (type === undefined) {
    out.report(at, 'missing-type', `every layer needs a "type": one of ${list}`);
  } else if (typeof type !== 'string') {
    out.report(at, 'wrong-type', `must be a layer type (${list}), got ${describeType(type)}`);
  } else {
    const suggestion = closestMatch(type, LAYER_TYPES, LAYER_ALIASES);
    const tail = suggestion === undefined ? `; use one of ${list}` : `${didYouMean(suggestion)} Layer types: ${list}`;
    out.report(
      at,
      'unknown-layer-type',
      `unknown layer type "${type}"${tail}`,
      suggestion === undefined ? {} : { suggestion },
    );
  }
  return undefined;
}

/** Unknown keys, wrong values and missing required parameters; returns the config when all is well. */
function checkParams(
  raw: Raw,
  index: number,
  type: LayerType,
  out: ProblemCollector,
): Record<string, unknown> | undefined {
  const def = LAYERS[type];
  const names = def.params.map((p) => p.name);
  // Built only for messages: most layers have nothing to report.
  const accepted = () => (names.length === 0 ? `${type} takes no parameters` : `${type} takes ${names.join(', ')}`);
  let ok = true;
  // A misspelt key already suggests the right name; do not also report that name as missing.
  const suggested = new Set<string>();
  for (const key of Object.keys(raw)) {
    if ((LAYER_KEYS as readonly string[]).includes(key)) continue;
    const param = def.params.find((p) => p.name === key);
    const at = ['layers', index, key];
    if (param === undefined) {
      ok = false;
      const suggestion = out.full ? undefined : closestMatch(key, [...names, ...LAYER_KEYS]);
      if (suggestion !== undefined) {
        suggested.add(suggestion);
        out.report(at, 'unknown-parameter', `unknown parameter "${key}"${didYouMean(suggestion)} (${accepted()})`, {
          target: 'key',
          suggestion,
        });
      } else if (key === 'inputShape' || key === 'batchInputShape') {
        out.report(
          at,
          'unknown-parameter',
          `the model's input shape goes in "input": { "shape": [...] } at the top level; remove "${key}"`,
          { target: 'key' },
        );
      } else {
        const owners = ownersOf(key);
        const belongs = owners.length > 0 ? ` (it is a parameter of ${owners.join(', ')})` : '';
        out.report(at, 'unknown-parameter', `"${key}" is not a parameter of ${type}${belongs}; ${accepted()}`, {
          target: 'key',
        });
      }
      continue;
    }
    const issue = checkParamValue(param, raw[key]);
    if (issue) {
      ok = false;
      out.report(at, issue.code, issue.message, issue.suggestion === undefined ? {} : { suggestion: issue.suggestion });
    }
  }
  for (const param of def.params) {
    if (!param.required || raw[param.name] !== undefined) continue;
    ok = false;
    if (suggested.has(param.name)) continue;
    const example = def.example[param.name];
    const hint = example === undefined ? '' : `, e.g. "${param.name}": ${JSON.stringify(example)}`;
    out.report(
      ['layers', index, param.name],
      'missing-parameter',
      `${type} needs "${param.name}" (${param.description})${hint}`,
    );
  }
  if (!ok) return undefined;
  const config: Record<string, unknown> = {};
  for (const param of def.params) {
    const value = raw[param.name] !== undefined ? raw[param.name] : param.default;
    if (value !== undefined) config[param.name] = value;
  }
  return config;
}

function checkInputsForm(raw: Raw, index: number, out: ProblemCollector): string[] | undefined {
  const inputs = raw.inputs;
  if (inputs === undefined) return undefined;
  const at = ['layers', index, 'inputs'];
  if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string')) {
    out.report(
      at,
      'wrong-type',
      `must be a list of layer ids (or "${MODEL_INPUT_ID}" for the model input), e.g. ["conv1", "conv2"]; got ${describeType(inputs)}`,
    );
    return undefined;
  }
  if (inputs.length > MAX_INPUTS_PER_LAYER) {
    out.report(
      at,
      'too-many-inputs',
      `names ${inputs.length} inputs, more than the ${MAX_INPUTS_PER_LAYER} a layer may take; combine them in stages (several add or concatenate layers)`,
    );
    return undefined;
  }
  return inputs;
}

/** Checks each layer on its own, then the ids named in `inputs` and the number of inputs. */
export function checkLayers(value: unknown, out: ProblemCollector): CheckedLayer[] {
  if (value === undefined) {
    out.report(
      ['layers'],
      'missing-layers',
      `add "layers": a list of layers, e.g. [{ "id": "out", "type": "dense", "units": 10, "activation": "softmax" }]`,
    );
    return [];
  }
  if (!Array.isArray(value)) {
    out.report(['layers'], 'wrong-type', `must be a list of layers, got ${describeType(value)}`);
    return [];
  }
  if (value.length === 0) {
    out.report(
      ['layers'],
      'missing-layers',
      `add at least one layer, e.g. { "id": "out", "type": "dense", "units": 10, "activation": "softmax" }`,
    );
    return [];
  }
  if (value.length > MAX_LAYERS) {
    out.report(
      ['layers'],
      'too-many-layers',
      `has ${value.length.toLocaleString('en-US')} layers, more than the ${MAX_LAYERS.toLocaleString('en-US')} a schema may hold; make the model smaller`,
    );
    return [];
  }
  const seen = new Map<string, number>();
  const layers: CheckedLayer[] = value.map((raw, index) => {
    if (!isObject(raw)) {
      out.report(
        ['layers', index],
        'wrong-type',
        `each layer must be an object like { "id": "dense1", "type": "dense", "units": 64 }, got ${describeType(raw)}`,
      );
      return { index, id: undefined, type: undefined, inputs: undefined, config: undefined };
    }
    const id = checkId(raw, index, seen, out);
    const type = checkType(raw, index, out);
    const inputs = checkInputsForm(raw, index, out);
    const config = type === undefined ? undefined : checkParams(raw, index, type, out);
    if (config !== undefined) checkDilation(raw, index, out);
    return { index, id, type, inputs, config };
  });
  checkInputRefs(layers, value as unknown[], seen, out);
  return layers;
}

/**
 * TensorFlow.js computes no gradient for a dilated convolution on any backend, so such a model builds but
 * fails as soon as it trains: an error where the user sets it (its shapes are still inferred and shown).
 */
function checkDilation(raw: Raw, index: number, out: ProblemCollector): void {
  const rate = raw.dilationRate;
  const dilated = (Array.isArray(rate) ? rate : [rate]).some((r) => typeof r === 'number' && r > 1);
  if (!dilated) return;
  out.report(
    ['layers', index, 'dilationRate'],
    'untrainable',
    'TensorFlow.js cannot compute the gradients of a dilated convolution, so training this model fails; use dilationRate 1 (a larger kernelSize, or strides, widens the view instead)',
  );
}

/** A name for a message: a name longer than any id is cut (a 1 MB name would make a 1 MB answer). */
function quotedName(name: string): string {
  return name.length > MAX_ID_LENGTH
    ? `${JSON.stringify(name.slice(0, 32))}… (${name.length.toLocaleString('en-US')} characters)`
    : `"${name}"`;
}

/** Every id in `inputs` must exist; merge layers need two or more inputs, other layers exactly one. */
function checkInputRefs(
  layers: CheckedLayer[],
  raws: unknown[],
  ids: Map<string, number>,
  out: ProblemCollector,
): void {
  const candidates = [MODEL_INPUT_ID, ...ids.keys()];
  // "Did you mean" compares a name with every id: do it for the first few unknown names only, so that
  // thousands of them stay linear in the number of layers.
  let searches = 0;
  for (const layer of layers) {
    const raw = raws[layer.index] as Raw | undefined;
    if (layer.inputs !== undefined) {
      layer.inputs.forEach((name, k) => {
        if (name === MODEL_INPUT_ID || ids.has(name)) return;
        const suggestion =
          out.full || searches++ >= MAX_SUGGESTION_SEARCHES ? undefined : closestMatch(name, candidates);
        const hint =
          suggestion === undefined ? `; use the id of a layer or "${MODEL_INPUT_ID}"` : didYouMean(suggestion);
        out.report(
          ['layers', layer.index, 'inputs', k],
          'unknown-input',
          `no layer has the id ${quotedName(name)}${hint}`,
          suggestion === undefined ? {} : { suggestion },
        );
      });
    }
    if (layer.type === undefined || raw === undefined) continue;
    const count = layer.inputs === undefined ? (raw.inputs === undefined ? 1 : -1) : layer.inputs.length;
    if (count < 0) continue;
    const at = ['layers', layer.index, 'inputs'];
    if (LAYERS[layer.type].merge && count < 2) {
      const before = layer.index > 0 ? (layers[layer.index - 1].id ?? 'previous') : 'conv1';
      out.report(
        at,
        'input-count',
        `${layer.type} combines two or more layers: list them, e.g. "inputs": ["${before}", "${MODEL_INPUT_ID}"]`,
      );
    } else if (!LAYERS[layer.type].merge && count !== 1) {
      out.report(
        at,
        'input-count',
        count === 0
          ? `${layer.type} takes exactly one input; name it, e.g. ["${MODEL_INPUT_ID}"], or remove "inputs" to use the previous layer`
          : `${layer.type} takes exactly one input but "inputs" names ${count}; to combine layers, feed them into an add or concatenate layer first`,
      );
    }
  }
}
