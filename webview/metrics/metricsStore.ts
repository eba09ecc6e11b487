/**
 * Training runs as the metrics panel holds them: per run, the events folded into columns (per epoch and
 * per batch) plus the latest state, progress and failure. Events are deduplicated by their SSE id (an event
 * at or below the last id seen is dropped), so a relay that replays after a reconnect can never count a
 * point twice. `chartData` turns runs into uPlot's column format, overlaying several runs on one x axis.
 * Pure (no DOM): unit-tested in Node.
 */
import type {
  BatchEvent,
  EvaluationEvent,
  MetricEvent,
  RunState,
  StateEvent,
  TrainingEvent,
} from '../../src/shared/protocol';

export interface RunSeries {
  runId: string;
  /** The highest event id folded in (0 = none); the relay resumes after it. */
  lastId: number;
  state: RunState | null;
  error: string | null;
  test: StateEvent['test'] | null;
  epochs: number;
  /** The epoch being trained (from the last batch or metric event); 0 before the first. */
  currentEpoch: number;
  /** Per epoch (one entry per `metric` event). */
  epoch: {
    x: number[];
    trainLoss: number[];
    valLoss: (number | null)[];
    trainAcc: (number | null)[];
    valAcc: (number | null)[];
    lr: number[];
    samplesPerSec: number[];
  };
  /** Per batch; x is fractional epochs (epoch - 1 + batch / batches), so batch and epoch curves share an axis. */
  batch: { x: number[]; loss: number[]; acc: (number | null)[] };
  progress: number;
  etaSeconds: number | null;
  samplesPerSec: number | null;
  learningRate: number | null;
  /** State changes with the event id they came in, for the timeline. */
  states: { id: number; state: RunState }[];
  /** The test-set evaluation of a succeeded run (confusion matrix, per-class metrics, examples). */
  evaluation?: EvaluationEvent;
}

export function emptyRun(runId: string): RunSeries {
  return {
    runId,
    lastId: 0,
    state: null,
    error: null,
    test: null,
    epochs: 0,
    currentEpoch: 0,
    epoch: { x: [], trainLoss: [], valLoss: [], trainAcc: [], valAcc: [], lr: [], samplesPerSec: [] },
    batch: { x: [], loss: [], acc: [] },
    progress: 0,
    etaSeconds: null,
    samplesPerSec: null,
    learningRate: null,
    states: [],
  };
}

/** Folds events into the run; returns how many were new (duplicates and stale replays are skipped). */
export function ingest(run: RunSeries, events: readonly TrainingEvent[]): number {
  let added = 0;
  for (const e of events) {
    if (e.id <= run.lastId) continue;
    run.lastId = e.id;
    added++;
    switch (e.event) {
      case 'state':
        onState(run, e.data);
        break;
      case 'metric':
        onMetric(run, e.data);
        break;
      case 'batch':
        onBatch(run, e.data);
        break;
      case 'evaluation':
        run.evaluation = e.data;
        break;
      default:
        e satisfies never;
    }
  }
  return added;
}

function onState(run: RunSeries, data: StateEvent): void {
  run.state = data.state;
  run.states.push({ id: run.lastId, state: data.state });
  if (data.error) run.error = data.error;
  if (data.test) run.test = data.test;
  if (data.state === 'succeeded') {
    run.progress = 1;
    run.etaSeconds = 0;
  }
}

function onMetric(run: RunSeries, m: MetricEvent): void {
  const s = run.epoch;
  s.x.push(m.epoch);
  s.trainLoss.push(m.train_loss);
  s.valLoss.push(m.val_loss);
  s.trainAcc.push(m.train_accuracy);
  s.valAcc.push(m.val_accuracy);
  s.lr.push(m.learning_rate);
  s.samplesPerSec.push(m.samples_per_sec);
  run.epochs = m.epochs;
  run.currentEpoch = Math.max(run.currentEpoch, m.epoch);
  run.progress = m.progress;
  run.etaSeconds = m.eta_seconds;
  run.samplesPerSec = m.samples_per_sec;
  run.learningRate = m.learning_rate;
}

function onBatch(run: RunSeries, b: BatchEvent): void {
  run.batch.x.push(b.epoch - 1 + b.batch / Math.max(1, b.batches));
  run.currentEpoch = Math.max(run.currentEpoch, b.epoch);
  run.batch.loss.push(b.loss);
  run.batch.acc.push(b.accuracy);
  run.progress = b.progress;
  run.etaSeconds = b.eta_seconds;
  run.samplesPerSec = b.samples_per_sec;
}

export type ChartMetric = 'loss' | 'accuracy' | 'learningRate' | 'samplesPerSec';
export type ChartMode = 'epoch' | 'batch';

/** `live`: the batches of the epoch in progress, drawn in epoch mode until that epoch's point arrives. */
export type Split = 'train' | 'val' | 'live';

export interface ChartData {
  x: number[];
  series: { label: string; runId: string; split: Split; values: (number | null)[] }[];
}

/**
 * The batch points after the last finished epoch (x in epoch units). Per epoch, a 2-epoch run would
 * otherwise show nothing through epoch 1 and a single dot after it.
 */
export function liveTail(run: RunSeries, metric: 'loss' | 'accuracy'): { x: number[]; y: (number | null)[] } {
  const done = run.epoch.x.at(-1) ?? 0;
  const xs = run.batch.x;
  let from = xs.length;
  while (from > 0 && xs[from - 1] > done) from--;
  const ys = metric === 'loss' ? run.batch.loss : run.batch.acc;
  return { x: xs.slice(from), y: ys.slice(from) };
}

/**
 * uPlot columns for `metric` over `runs`: one shared, sorted x column and one value column per run and
 * split (null where a run has no point at that x). With one run this is its own columns, without copying
 * by index lookups, which keeps 100,000 batch points cheap.
 */
export function chartData(
  runs: readonly RunSeries[],
  metric: ChartMetric,
  mode: ChartMode,
  label: (runId: string) => string,
): ChartData {
  const columns: { runId: string; split: Split; x: number[]; y: (number | null)[] }[] = [];
  for (const run of runs) {
    if (mode === 'batch' && (metric === 'loss' || metric === 'accuracy')) {
      columns.push({
        runId: run.runId,
        split: 'train',
        x: run.batch.x,
        y: metric === 'loss' ? run.batch.loss : run.batch.acc,
      });
      continue;
    }
    const e = run.epoch;
    if (metric === 'loss')
      columns.push(
        { runId: run.runId, split: 'train', x: e.x, y: e.trainLoss },
        { runId: run.runId, split: 'val', x: e.x, y: e.valLoss },
      );
    else if (metric === 'accuracy')
      columns.push(
        { runId: run.runId, split: 'train', x: e.x, y: e.trainAcc },
        { runId: run.runId, split: 'val', x: e.x, y: e.valAcc },
      );
    if (metric === 'loss' || metric === 'accuracy') {
      const tail = liveTail(run, metric);
      if (tail.x.length) columns.push({ runId: run.runId, split: 'live', ...tail });
    } else if (metric === 'learningRate') columns.push({ runId: run.runId, split: 'train', x: e.x, y: e.lr });
    else columns.push({ runId: run.runId, split: 'train', x: e.x, y: e.samplesPerSec });
  }
  const toSeries = (c: (typeof columns)[number], values: (number | null)[]) => ({
    label: `${label(c.runId)}${metric === 'loss' || metric === 'accuracy' ? ` ${c.split === 'live' ? 'train (batches)' : c.split}` : ''}`,
    runId: c.runId,
    split: c.split,
    values,
  });
  if (columns.length === 0) return { x: [], series: [] };
  const first = columns[0].x;
  if (columns.every((c) => c.x === first))
    return { x: first.slice(), series: columns.map((c) => toSeries(c, c.y.slice())) };
  const xs = [...new Set(columns.flatMap((c) => c.x))].sort((a, b) => a - b);
  const position = new Map(xs.map((x, i) => [x, i]));
  return {
    x: xs,
    series: columns.map((c) => {
      const values = new Array<number | null>(xs.length).fill(null);
      c.x.forEach((x, i) => {
        const at = position.get(x);
        if (at !== undefined) values[at] = c.y[i];
      });
      return toSeries(c, values);
    }),
  };
}

/** `1 min 05 s`, `42 s`, `–` */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** Total points across a run's columns (the e2e test and the header read it). */
export function pointCount(run: RunSeries): number {
  return run.epoch.x.length + run.batch.x.length;
}
