/**
 * What the charts compute on top of the raw series: TensorBoard's smoothing (an exponential moving average,
 * debiased so the first points are not pulled towards zero), integer epoch ticks, the axis ranges, and the
 * overfitting hint (validation loss climbing while training loss still falls). Pure: unit-tested in Node.
 */
import type { RunSeries } from './metricsStore';

/**
 * TensorBoard-style smoothing: `weight` 0 = raw, 0.99 = very smooth. Nulls (a run without a point at that
 * x in an overlay) stay null and do not reset the average; non-finite values pass through unsmoothed.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

/** Whole-epoch ticks for an x axis in epoch units: 1, 2, 3… or every 2, 5, 10… epochs when there are many. */
export function epochTicks(min: number, max: number, maxTicks = 8): number[] {
  const span = Math.max(1, max - min);
  const step =
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks);
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/**
 * The x range in epochs: from 0 (batch points of epoch 1 lie in (0, 1]) to the planned number of epochs of
 * the runs shown, so a live run's curve grows into a fixed frame instead of rescaling on every batch.
 */
export function epochRange(runs: readonly RunSeries[]): [number, number] {
  let max = 1;
  for (const r of runs) max = Math.max(max, r.epochs, r.epoch.x.at(-1) ?? 0, Math.ceil(r.batch.x.at(-1) ?? 0));
  return [0, max];
}

/** Accuracy is a fraction: its axis is 0–100% whatever uPlot's padding would make of it. */
export const ACCURACY_RANGE: [number, number] = [0, 1];

export interface OverfittingHint {
  /** The epoch with the lowest validation loss. */
  bestEpoch: number;
  /** The last epoch, where the validation loss is higher again. */
  epoch: number;
  message: string;
}

/**
 * Validation loss at least 5% above its best for two or more epochs after it, while the training loss kept
 * falling: the classic overfitting picture (the original Stitch showed a hint for it). Null otherwise, and
 * for runs without validation data.
 */
export function overfitting(run: RunSeries): OverfittingHint | null {
  const { x, valLoss, trainLoss } = run.epoch;
  let best = -1;
  valLoss.forEach((v, i) => {
    if (v !== null && Number.isFinite(v) && (best < 0 || v < (valLoss[best] ?? Infinity))) best = i;
  });
  const last = x.length - 1;
  const bestLoss = valLoss[best];
  const lastLoss = valLoss[last];
  if (best < 0 || last - best < 2 || bestLoss === null || lastLoss === null) return null;
  if (!(lastLoss > bestLoss * 1.05 && trainLoss[last] < trainLoss[best])) return null;
  return {
    bestEpoch: x[best],
    epoch: x[last],
    message:
      `Validation loss rose from ${round(bestLoss)} (epoch ${x[best]}) to ${round(lastLoss)} while the training loss kept falling: ` +
      `the model is overfitting. Try fewer epochs, dropout, a smaller model or more data.`,
  };
}

function round(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}
