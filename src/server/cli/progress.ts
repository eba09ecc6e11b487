/**
 * How `stitch train` shows a run: on a terminal, one live status line (epoch, batch, loss, accuracy,
 * samples/s, ETA) redrawn in place; otherwise (CI logs, pipes) one plain line per epoch, because carriage
 * returns turn a log into noise.
 */
import type { BatchEvent, MetricEvent, StateEvent } from '../../shared/protocol';

export interface ProgressOutput {
  write(text: string): void;
  /** A terminal: redraw a status line. */
  isTTY: boolean;
  columns?: number;
}

const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function bar(progress: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(progress * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * The live status line for a batch, fitted to the terminal: the bar goes first when space is short, then the
 * end is cut (a wrapped line could not be redrawn in place). A terminal that reports no width (0, e.g. a pty
 * nobody sized) gets 100 columns.
 */
export function renderStatus(event: BatchEvent, epochs: number | '?', columns?: number): string {
  const width = (columns && columns > 0 ? columns : 100) - 1;
  const facts =
    `epoch ${event.epoch}/${epochs} batch ${event.batch}/${event.batches} ` +
    `loss ${fixed(event.loss)} acc ${fixed(event.accuracy)} ${Math.round(event.samples_per_sec)} samples/s ETA ${formatDuration(event.eta_seconds)}`;
  const full = `${bar(event.progress, 20)} ${facts}`;
  if (full.length <= width) return full;
  // A narrower bar where one of at least 5 cells fits (an 80-column terminal), else the figures alone.
  const cells = width - facts.length - 3;
  if (cells >= 5) return `${bar(event.progress, cells)} ${facts}`;
  return facts.slice(0, width);
}

export class ProgressReporter {
  private epochs = 0;
  private statusShown = false;

  constructor(private readonly out: ProgressOutput) {}

  state(event: StateEvent): void {
    if (event.state === 'queued') this.line(`run ${event.run_id} queued`);
    else if (event.state === 'running') this.line(`run ${event.run_id} running`);
  }

  batch(event: BatchEvent): void {
    if (!this.out.isTTY) return;
    this.out.write(`\r${renderStatus(event, this.epochs || '?', this.out.columns)}\x1b[K`);
    this.statusShown = true;
  }

  metric(event: MetricEvent): void {
    this.epochs = event.epochs;
    this.line(
      `epoch ${event.epoch}/${event.epochs}  loss ${fixed(event.train_loss)}  acc ${fixed(event.train_accuracy)}  ` +
        `val_loss ${fixed(event.val_loss)}  val_acc ${fixed(event.val_accuracy)}  ${event.epoch_time.toFixed(1)}s  ` +
        `${Math.round(event.samples_per_sec)} samples/s  ETA ${formatDuration(event.eta_seconds)}`,
    );
  }

  /** Sets the epoch count before the first metric arrives (from the schema). */
  expectEpochs(epochs: number): void {
    this.epochs = epochs;
  }

  /** A permanent line: clears the status line first on a terminal. */
  line(text: string): void {
    if (this.statusShown) {
      this.out.write('\r\x1b[K');
      this.statusShown = false;
    }
    this.out.write(`${text}\n`);
  }
}
