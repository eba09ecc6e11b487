/**
 * What the compare view shows, computed from two runs: the hyperparameter rows (training settings and the
 * architecture, flattened to dotted keys, each marked when the runs differ), the final figures (train,
 * validation and test accuracy and loss, each labelled by its split) and the runs as chart series (their
 * per-epoch metrics folded as the metrics panel folds them, so the curves line up by epoch). Pure (no DOM):
 * unit-tested in Node.
 */
import type { RunDetail, TrainingEvent } from '../../src/shared/protocol';
import { emptyRun, ingest, type RunSeries } from '../metrics/metricsStore';

export interface HyperparamRow {
  key: string;
  values: [string, string];
  differs: boolean;
}

export interface FinalRow {
  label: string;
  values: [number | null, number | null];
  kind: 'accuracy' | 'loss';
}

/** `training` flattened (`optimizer.learningRate`), then the input shape, the layer stack and the parameter count. */
export function hyperparamRows(a: RunDetail, b: RunDetail): HyperparamRow[] {
  const [fa, fb] = [settingsOf(a), settingsOf(b)];
  const keys = [...new Set([...fa.keys(), ...fb.keys()])];
  return keys.map((key) => {
    const values: [string, string] = [fa.get(key) ?? '–', fb.get(key) ?? '–'];
    return { key, values, differs: values[0] !== values[1] };
  });
}

function settingsOf(run: RunDetail): Map<string, string> {
  const out = new Map<string, string>();
  flatten('', run.schema.training ?? {}, out);
  out.set('input.shape', `[${run.schema.input.shape.join(', ')}]`);
  out.set('layers', run.schema.layers.map(layerText).join(' → '));
  return out;
}

function flatten(prefix: string, value: unknown, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(prefix ? `${prefix}.${k}` : k, v, out);
    return;
  }
  out.set(prefix, typeof value === 'string' ? value : JSON.stringify(value));
}

/** `dense(12, relu)`, `conv2d(8, 3, relu)`: the type and the settings that size the layer. */
function layerText(layer: RunDetail['schema']['layers'][number]): string {
  const record = layer as unknown as Record<string, unknown>;
  const args = ['units', 'filters', 'kernelSize', 'poolSize', 'rate', 'activation']
    .map((k) => record[k])
    .filter((v) => v !== undefined)
    .map((v) => (Array.isArray(v) ? v.join('×') : typeof v === 'string' ? v : JSON.stringify(v)));
  return `${layer.type}${args.length ? `(${args.join(', ')})` : ''}`;
}

/** The last epoch's train and validation figures and the held-out test result, per run. */
export function finalRows(a: RunDetail, b: RunDetail): FinalRow[] {
  const last = (r: RunDetail) => r.metrics.at(-1);
  const pair = (f: (r: RunDetail) => number | null | undefined): [number | null, number | null] => [
    f(a) ?? null,
    f(b) ?? null,
  ];
  return [
    { label: 'train accuracy', kind: 'accuracy', values: pair((r) => last(r)?.train_accuracy) },
    { label: 'validation accuracy', kind: 'accuracy', values: pair((r) => last(r)?.val_accuracy) },
    { label: 'test accuracy', kind: 'accuracy', values: pair((r) => r.test?.accuracy) },
    { label: 'train loss', kind: 'loss', values: pair((r) => last(r)?.train_loss) },
    { label: 'validation loss', kind: 'loss', values: pair((r) => last(r)?.val_loss) },
    { label: 'test loss', kind: 'loss', values: pair((r) => r.test?.loss) },
  ];
}

/** The run's per-epoch metrics as the panel's store holds them (batches are not kept in a run's detail). */
export function seriesOf(run: RunDetail): RunSeries {
  const series = emptyRun(run.run_id);
  const events: TrainingEvent[] = run.metrics.map((data, i) => ({ id: i + 1, event: 'metric', data }));
  ingest(series, events);
  series.state = run.state;
  series.epochs = run.epochs;
  return series;
}
