/**
 * Checks of the `training` block: the dataset (built in or a file), its fit to `input.shape`, the numbers,
 * the optimizer and its options, the loss against the model output, and early stopping.
 */
import type { DatasetSpec } from './types';
import {
  DATASET_NAMES,
  builtinDatasetOf,
  datasetAcceptsShape,
  describeDataset,
  type DatasetInfoProvider,
} from './datasets';
import { checkParamValue, describeType, type ParamDef } from './params';
import type { ProblemCollector, Segments } from './problems';
import { formatShape } from './shapes';
import { closestMatch, didYouMean } from './suggest';
import {
  CSV_KEYS,
  EARLY_STOPPING_PARAMS,
  IDX_KEYS,
  LOSS_NAMES,
  OPTIMIZERS,
  OPTIMIZER_TYPES,
  TRAINING_PARAMS,
  TRAINING_SPECIAL_KEYS,
} from './training';
import { isObject } from '../isObject';

type Raw = Record<string, unknown>;

/** What the loss check needs to know about the model's output. */
export interface OutputInfo {
  shape: number[];
  /** The activation that produces the output values (looking through dropout/flatten/reshape). */
  activation: string | undefined;
  /** Where the output's size is set (the dense layer's `units`), for messages and ranges. */
  unitsPath: Segments;
}

export interface TrainingContext {
  inputShape: number[] | undefined;
  output: OutputInfo | undefined;
  datasetInfo?: DatasetInfoProvider;
}

/** Checks the keys of an object against parameter definitions (unknown keys, values); true when all fine. */
export function checkObjectParams(
  obj: Raw,
  at: Segments,
  defs: readonly ParamDef[],
  extraKeys: readonly string[],
  owner: string,
  out: ProblemCollector,
): boolean {
  let ok = true;
  const names = [...defs.map((d) => d.name), ...extraKeys];
  for (const key of Object.keys(obj)) {
    const def = defs.find((d) => d.name === key);
    if (def === undefined) {
      if (extraKeys.includes(key)) continue;
      ok = false;
      const suggestion = closestMatch(key, names);
      const accepted = names.length === 0 ? `${owner} takes no options` : `${owner} takes ${names.join(', ')}`;
      out.report(
        [...at, key],
        'unknown-property',
        `unknown key "${key}"${didYouMean(suggestion)} (${accepted})`,
        suggestion === undefined ? { target: 'key' } : { target: 'key', suggestion },
      );
      continue;
    }
    const issue = checkParamValue(def, obj[key]);
    if (issue) {
      ok = false;
      out.report(
        [...at, key],
        issue.code,
        issue.message,
        issue.suggestion === undefined ? {} : { suggestion: issue.suggestion },
      );
    }
  }
  return ok;
}

function checkPathString(obj: Raw, key: string, at: Segments, out: ProblemCollector, required = true): void {
  const value = obj[key];
  if (value === undefined) {
    if (required) out.report([...at, key], 'missing-property', `add "${key}": a path relative to the schema file`);
  } else if (typeof value !== 'string' || value.trim() === '') {
    out.report(
      [...at, key],
      'invalid-path',
      `must be a file path relative to the schema file, got ${describeType(value)}`,
    );
  }
}

const DATASET_FORMS = `"mnist", "fashion-mnist", "spiral", "xor", "circle", "gaussian", { "name": "spiral", "samples": 500, "noise": 0.1 }, { "csv": "data/file.csv", "label": "column" } or { "idx": { "images": …, "labels": … } }`;

/** Returns true when the dataset's form is valid (so its shape can be compared). */
function checkDataset(spec: unknown, out: ProblemCollector): boolean {
  const at = ['training', 'dataset'];
  if (typeof spec === 'string') {
    if (builtinDatasetOf(spec)) return true;
    if (/\.(csv|tsv)$/i.test(spec)) {
      out.report(
        at,
        'unknown-dataset',
        `for a CSV file write { "csv": ${JSON.stringify(spec)}, "label": "<label column>" }`,
      );
      return false;
    }
    const suggestion = closestMatch(spec, DATASET_NAMES);
    out.report(
      at,
      'unknown-dataset',
      `unknown dataset "${spec}"${didYouMean(suggestion) || '.'} Built in: ${DATASET_NAMES.join(', ')}; or use a CSV/IDX file`,
      suggestion === undefined ? {} : { suggestion },
    );
    return false;
  }
  if (!isObject(spec)) {
    out.report(at, 'wrong-type', `must be one of ${DATASET_FORMS}; got ${describeType(spec)}`);
    return false;
  }
  if ('name' in spec) {
    const builtin = builtinDatasetOf(spec);
    if (!builtin) {
      const name = spec.name;
      const suggestion = typeof name === 'string' ? closestMatch(name, DATASET_NAMES) : undefined;
      out.report(
        [...at, 'name'],
        'unknown-dataset',
        `unknown dataset ${describeType(name)}${didYouMean(suggestion) || '.'} Built in: ${DATASET_NAMES.join(', ')}`,
        suggestion === undefined ? {} : { suggestion },
      );
      return false;
    }
    const owner =
      builtin.options.length === 0
        ? `${builtin.name} (use training.maxSamples to train on fewer samples)`
        : builtin.name;
    return checkObjectParams(spec, at, builtin.options, ['name'], owner, out);
  }
  if ('csv' in spec) {
    checkPathString(spec, 'csv', at, out);
    const label = spec.label;
    if (label === undefined)
      out.report([...at, 'label'], 'missing-property', `add "label": the name of the CSV column that holds the class`);
    else if (typeof label !== 'string' || label === '')
      out.report([...at, 'label'], 'wrong-type', `must be the name of a CSV column, got ${describeType(label)}`);
    return checkObjectParams(spec, at, [], CSV_KEYS, 'a CSV dataset', out);
  }
  if ('idx' in spec) {
    checkObjectParams(spec, at, [], ['idx'], 'an IDX dataset', out);
    const idx = spec.idx;
    const idxAt = [...at, 'idx'];
    if (!isObject(idx)) {
      out.report(
        idxAt,
        'wrong-type',
        `must be { "images": "…-images-idx3-ubyte", "labels": "…-labels-idx1-ubyte" }, got ${describeType(idx)}`,
      );
      return false;
    }
    checkPathString(idx, 'images', idxAt, out);
    checkPathString(idx, 'labels', idxAt, out);
    checkPathString(idx, 'testImages', idxAt, out, false);
    checkPathString(idx, 'testLabels', idxAt, out, false);
    if ((idx.testImages === undefined) !== (idx.testLabels === undefined)) {
      const missing = idx.testImages === undefined ? 'testImages' : 'testLabels';
      out.report([...idxAt, missing], 'missing-property', `give both testImages and testLabels, or neither`);
    }
    checkObjectParams(idx, idxAt, [], IDX_KEYS, 'idx', out);
    return true;
  }
  out.report(at, 'invalid-value', `must be one of ${DATASET_FORMS}`);
  return false;
}

function checkOptimizer(spec: unknown, out: ProblemCollector): void {
  const at = ['training', 'optimizer'];
  const unknown = (where: Segments, name: unknown) => {
    const suggestion = typeof name === 'string' ? closestMatch(name, OPTIMIZER_TYPES) : undefined;
    out.report(
      where,
      'unknown-optimizer',
      `unknown optimizer ${describeType(name)}${didYouMean(suggestion)} Use one of ${OPTIMIZER_TYPES.join(', ')}`,
      suggestion === undefined ? {} : { suggestion },
    );
  };
  if (typeof spec === 'string') {
    if (!(OPTIMIZER_TYPES as string[]).includes(spec)) unknown(at, spec);
    return;
  }
  if (!isObject(spec)) {
    out.report(
      at,
      'wrong-type',
      `must be an optimizer name (${OPTIMIZER_TYPES.join(', ')}) or { "type": "adam", "learningRate": 0.001 }, got ${describeType(spec)}`,
    );
    return;
  }
  const type = spec.type;
  if (type === undefined) {
    out.report([...at, 'type'], 'missing-property', `add "type": one of ${OPTIMIZER_TYPES.join(', ')}`);
    return;
  }
  if (typeof type !== 'string' || !(OPTIMIZER_TYPES as string[]).includes(type)) {
    unknown([...at, 'type'], type);
    return;
  }
  const def = OPTIMIZERS[type as keyof typeof OPTIMIZERS];
  checkObjectParams(spec, at, def.params, ['type'], type, out);
  if (spec.rho !== undefined && spec.decay !== undefined) {
    out.report(
      [...at, 'decay'],
      'invalid-value',
      `rho and decay are the same setting (Keras and tfjs names); keep one`,
      { target: 'key' },
    );
  }
}

/** The loss must suit the output layer and the dataset's classes; says which number or activation to use. */
function checkLoss(
  loss: string,
  output: OutputInfo,
  classes: number | undefined,
  dataset: string,
  out: ProblemCollector,
): void {
  if (output.shape.length !== 1) return;
  const units = output.shape[0];
  const act = output.activation;
  const lossAt = ['training', 'loss'];
  if (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy') {
    if (classes !== undefined && units !== classes) {
      out.report(
        output.unitsPath,
        'loss-mismatch',
        `the output has ${units} units but ${dataset} has ${classes} classes; set "units": ${classes}`,
      );
    }
    if (act !== 'softmax') {
      out.report(
        output.unitsPath.slice(0, 2).concat('activation'),
        'output-activation',
        `${loss} needs class probabilities from the output layer; set "activation": "softmax" on it (it is ${JSON.stringify(act ?? 'linear')})`,
      );
    }
    return;
  }
  if (loss === 'binaryCrossentropy') {
    if (classes !== undefined && classes > 2) {
      out.report(
        lossAt,
        'loss-mismatch',
        `binaryCrossentropy is for two classes but ${dataset} has ${classes}; use "categoricalCrossentropy" with ${classes} softmax units`,
        { suggestion: 'categoricalCrossentropy' },
      );
      return;
    }
    if (units !== 1 && units !== (classes ?? 2)) {
      out.report(
        output.unitsPath,
        'loss-mismatch',
        `binaryCrossentropy needs one sigmoid unit (or one per class); set "units": 1 and "activation": "sigmoid"`,
      );
    } else if (act !== 'sigmoid' && !(units > 1 && act === 'softmax')) {
      out.report(
        output.unitsPath.slice(0, 2).concat('activation'),
        'output-activation',
        `binaryCrossentropy needs probabilities in 0..1; set "activation": "sigmoid" on the output layer (it is ${JSON.stringify(act ?? 'linear')})`,
      );
    }
    return;
  }
  // Regression losses compare with the one-hot class vector (or the 0/1 label for a single unit).
  if (classes !== undefined && units !== classes && !(classes === 2 && units === 1)) {
    out.report(
      output.unitsPath,
      'loss-mismatch',
      `${loss} compares the output with the one-hot labels of ${dataset}'s ${classes} classes; set "units": ${classes}`,
    );
  }
}

export function checkTraining(value: unknown, ctx: TrainingContext, out: ProblemCollector): void {
  if (value === undefined) return;
  const at = ['training'];
  if (!isObject(value)) {
    out.report(
      at,
      'wrong-type',
      `must be an object like { "dataset": "mnist", "epochs": 3 }, got ${describeType(value)}`,
    );
    return;
  }
  checkObjectParams(value, at, TRAINING_PARAMS, TRAINING_SPECIAL_KEYS, 'training', out);
  if (value.optimizer !== undefined) checkOptimizer(value.optimizer, out);

  let loss: string | undefined = 'categoricalCrossentropy';
  if (value.loss !== undefined) {
    if (typeof value.loss === 'string' && (LOSS_NAMES as string[]).includes(value.loss)) loss = value.loss;
    else {
      loss = undefined;
      const suggestion = typeof value.loss === 'string' ? closestMatch(value.loss, LOSS_NAMES) : undefined;
      out.report(
        [...at, 'loss'],
        'unknown-loss',
        `unknown loss ${describeType(value.loss)}${didYouMean(suggestion)} Use one of ${LOSS_NAMES.join(', ')}`,
        suggestion === undefined ? {} : { suggestion },
      );
    }
  }

  const es = value.earlyStopping;
  if (es !== undefined) {
    if (!isObject(es))
      out.report(
        [...at, 'earlyStopping'],
        'wrong-type',
        `must be an object like { "monitor": "val_loss", "patience": 2 }, got ${describeType(es)}`,
      );
    else if (checkObjectParams(es, [...at, 'earlyStopping'], EARLY_STOPPING_PARAMS, [], 'earlyStopping', out)) {
      const monitor = (es.monitor as string | undefined) ?? 'val_loss';
      if (monitor.startsWith('val_') && value.validationSplit === 0) {
        out.report(
          [...at, 'earlyStopping', 'monitor'],
          'early-stopping',
          `${monitor} needs validation data but validationSplit is 0; monitor "${monitor.slice(4)}" or set validationSplit to 0.1`,
        );
      }
    }
  }

  if (value.dataset === undefined) {
    out.report([...at, 'dataset'], 'missing-property', `add "dataset": ${DATASET_FORMS}`);
    return;
  }
  if (!checkDataset(value.dataset, out)) return;
  const spec = value.dataset as DatasetSpec;
  const info = describeDataset(spec, ctx.datasetInfo);
  for (const problem of info?.problems ?? [])
    out.report([...at, 'dataset', ...problem.segments], problem.code, problem.message);
  const name = builtinDatasetOf(spec)?.name ?? 'the dataset';
  if (info?.inputShape && ctx.inputShape && !datasetAcceptsShape(info.inputShape, ctx.inputShape)) {
    const flat = info.inputShape.length > 1 ? ` (or the flat [${info.inputShape.reduce((a, b) => a * b, 1)}])` : '';
    out.report(
      ['input', 'shape'],
      'dataset-shape',
      `${name} gives samples of shape ${formatShape(info.inputShape)}; set input.shape to ${formatShape(info.inputShape)}${flat}`,
    );
  }
  if (loss !== undefined && ctx.output) checkLoss(loss, ctx.output, info?.classes, name, out);
  checkTrainingSamples(value, spec, out);
}

/** The share of a synthetic dataset's points held out as its test set (src/server/data/synthetic.ts). */
const SYNTHETIC_TEST_FRACTION = 0.2;

/** Training samples before the validation split: the dataset's, capped by maxSamples; undefined if unknown. */
function trainingSampleCount(training: Raw, spec: DatasetSpec): number | undefined {
  const builtin = builtinDatasetOf(spec);
  let count: number | undefined;
  if (builtin?.trainSamples !== undefined) count = builtin.trainSamples;
  else if (builtin) {
    const samples =
      typeof spec === 'object' && 'samples' in spec && typeof spec.samples === 'number' ? spec.samples : 500;
    count = samples - Math.max(1, Math.round(samples * SYNTHETIC_TEST_FRACTION));
  }
  const max = training.maxSamples;
  if (typeof max === 'number' && Number.isInteger(max) && max >= 1)
    count = count === undefined ? max : Math.min(count, max);
  return count;
}

/**
 * The trainer holds out max(1, round(n × validationSplit)) of the n training samples (src/server/training/
 * train.ts); when that leaves none, training cannot start. With a file dataset only maxSamples is known here,
 * and fewer samples leave fewer still, so the check holds for any file.
 */
function checkTrainingSamples(training: Raw, spec: DatasetSpec, out: ProblemCollector): void {
  const split = training.validationSplit;
  if (typeof split !== 'number' || !(split > 0 && split < 1)) return;
  const n = trainingSampleCount(training, spec);
  if (n === undefined) return;
  const held = Math.max(1, Math.round(n * split));
  if (n - held >= 1) return;
  const where = typeof training.maxSamples === 'number' && training.maxSamples === n ? 'maxSamples' : 'the dataset';
  out.report(
    ['training', 'validationSplit'],
    'no-training-samples',
    `holds out ${held} of the ${n} training samples (${where} gives ${n}), which leaves none to train on; ${n >= 2 ? 'lower validationSplit (e.g. 0.1)' : 'set validationSplit to 0'} or raise maxSamples`,
  );
}
