/**
 * How runs are told apart in the panel: a short number (#1 is the oldest run listed), a start time relative
 * to now (the local time goes in the tooltip), one color per run that every chart and list uses, and the
 * result figures each labelled by their split. Pure: unit-tested in Node.
 */
import type { RunSummary } from '../../src/shared/protocol';

/** The chart palette (theme tokens): run #n gets entry (n - 1) mod 6, in every chart and list. */
export const RUN_COLOR_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
] as const;

/** #1 for the oldest run, counting up by creation time (ties broken by id, so the numbers are stable). */
export function runNumbers(runs: readonly Pick<RunSummary, 'run_id' | 'created_at'>[]): Map<string, number> {
  const sorted = [...runs].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.run_id.localeCompare(b.run_id));
  return new Map(sorted.map((r, i) => [r.run_id, i + 1]));
}

/** The theme variable of a run's color; unknown runs (not listed yet) hash their id to one. */
export function runColorVar(runId: string, numbers: ReadonlyMap<string, number>): string {
  const n = numbers.get(runId);
  const index = n !== undefined ? n - 1 : Array.from(runId).reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0);
  return RUN_COLOR_VARS[index % RUN_COLOR_VARS.length];
}

/**
 * Colours for runs shown together (Compare): each keeps its usual colour unless an earlier one took it, then it
 * gets the next free entry, so runs #1 and #7 are never drawn alike side by side.
 */
export function distinctRunColorVars(runIds: readonly string[], numbers: ReadonlyMap<string, number>): string[] {
  const palette: readonly string[] = RUN_COLOR_VARS;
  const taken = new Set<number>();
  return runIds.map((runId) => {
    let index = palette.indexOf(runColorVar(runId, numbers));
    while (taken.has(index) && taken.size < palette.length) index = (index + 1) % palette.length;
    taken.add(index);
    return palette[index];
  });
}

/** `just now`, `5 min ago`, `3 h ago`, `yesterday`, `4 days ago`; then the date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return '';
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  const days = Math.round(s / 86400);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return new Date(then).toISOString().slice(0, 10);
}

/** The local date and time, for the tooltip of a relative time. */
export function localTime(iso: string): string {
  const then = Date.parse(iso);
  return Number.isFinite(then) ? new Date(then).toLocaleString() : iso;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * A run's result as the list shows it: the test accuracy when there is one (it is the figure that counts),
 * else the best validation accuracy; each says which it is.
 */
export function resultLabel(run: Pick<RunSummary, 'best_val_accuracy' | 'test'>): string {
  if (run.test?.accuracy !== null && run.test?.accuracy !== undefined) return `test ${pct(run.test.accuracy)}`;
  if (run.best_val_accuracy !== null) return `best val ${pct(run.best_val_accuracy)}`;
  if (run.test) return `test loss ${String(Math.round(run.test.loss * 1000) / 1000)}`;
  return '';
}
