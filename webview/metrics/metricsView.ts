/**
 * The metrics tab: the runs list (a click shows one run alone, its checkbox overlays it on the others; each
 * run has a short number, a relative start time and one color), the selected run's state, progress, ETA,
 * samples/s, learning rate and failure message, and uPlot charts of loss and accuracy (per epoch or per
 * batch, x in epochs either way; per epoch, the batches of the epoch in progress show until its point
 * arrives), learning rate and throughput, with optional smoothing and an overfitting hint. Charts redraw
 * at most four times a second whatever the event rate.
 */
import type { RunSummary, TrainingEvent } from '../../src/shared/protocol';
import type { StreamStatus } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { Chart } from './chart';
import {
  chartData,
  emptyRun,
  formatEta,
  ingest,
  pointCount,
  type ChartData,
  type ChartMode,
  type RunSeries,
} from './metricsStore';
import { localTime, relativeTime, resultLabel, runColorVar, runNumbers } from './runLabels';
import { ACCURACY_RANGE, epochRange, overfitting, smooth } from './trends';

export interface MetricsCallbacks {
  follow(runIds: string[], after: Record<string, number>): void;
  refresh(): void;
  selectionChanged(runIds: string[]): void;
  viewChanged(view: ChartViewState): void;
  command(command: 'train' | 'cancel', runId?: string): void;
}

/** What the user chose for the charts (kept in the panel's webview state). */
export interface ChartViewState {
  mode: ChartMode;
  /** 0 = raw, up to 0.99 (TensorBoard's smoothing weight). */
  smoothing: number;
}

const percent = (v: number) => `${(v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1)}%`;
const short = (v: number) =>
  Math.abs(v) >= 1000
    ? `${(v / 1000).toFixed(2)}k`
    : Math.abs(v) < 0.01 && v !== 0
      ? v.toExponential(0)
      : String(Math.round(v * 1000) / 1000);

export class MetricsView {
  readonly element: HTMLElement;
  private readonly runs = new Map<string, RunSeries>();
  private summaries: RunSummary[] = [];
  private selected: string[];
  /** Runs shown by id (focusRun) that no runs list has had yet: just started, not deleted. */
  private readonly unlisted = new Set<string>();
  private mode: ChartMode;
  private smoothing: number;
  private numbers = new Map<string, number>();
  private readonly hint = el('div', 'overfit-hint');
  private readonly status = new Map<string, { status: StreamStatus; message?: string }>();
  private readonly list = el('div', 'run-list');
  private readonly details = el('div', 'run-details');
  private readonly charts: { loss: Chart; accuracy: Chart; lr: Chart; speed: Chart };
  private dirty = false;

  constructor(
    parent: HTMLElement,
    initial: string[],
    view: ChartViewState,
    private readonly callbacks: MetricsCallbacks,
  ) {
    this.selected = initial;
    this.mode = view.mode;
    this.smoothing = view.smoothing;
    this.element = el('div', 'metrics');
    this.element.dataset.points = '0';
    const side = el('div', 'runs-side');
    const header = el('div', 'runs-header');
    const refresh = document.createElement('vscode-toolbar-button');
    refresh.setAttribute('icon', 'refresh');
    refresh.setAttribute('label', 'Refresh runs');
    refresh.setAttribute('title', 'Refresh runs');
    refresh.addEventListener('click', () => callbacks.refresh());
    header.append(el('h2', '', 'Runs'), refresh);
    side.append(header, this.list);
    const main = el('div', 'metrics-main');
    const modes = el('div', 'mode-switch');
    modes.setAttribute('role', 'radiogroup');
    modes.setAttribute('aria-label', 'Chart x axis');
    for (const m of ['epoch', 'batch'] as const) {
      const b = el('button', 'mode', m === 'epoch' ? 'Per epoch' : 'Per batch');
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', String(m === this.mode));
      b.dataset.mode = m;
      b.addEventListener('click', () => {
        this.mode = m;
        modes.querySelectorAll('button').forEach((x) => x.setAttribute('aria-checked', String(x === b)));
        this.viewChanged();
      });
      modes.appendChild(b);
    }
    const controls = el('div', 'chart-controls');
    controls.append(modes, this.smoothingControl());
    this.hint.hidden = true;
    this.hint.setAttribute('role', 'status');
    const grid = el('div', 'charts');
    main.append(this.details, controls, this.hint, grid);
    this.charts = {
      loss: new Chart(grid, { title: 'Loss', yLabel: 'loss', format: short }),
      accuracy: new Chart(grid, { title: 'Accuracy', yLabel: 'accuracy', format: percent, yRange: ACCURACY_RANGE }),
      lr: new Chart(grid, { title: 'Learning rate', yLabel: 'learning rate', format: short }),
      speed: new Chart(grid, { title: 'Samples / s', yLabel: 'samples / s', format: short }),
    };
    this.element.append(side, main);
    parent.appendChild(this.element);
    new ResizeObserver(() => Object.values(this.charts).forEach((c) => c.resize())).observe(grid);
    new MutationObserver(() => {
      Object.values(this.charts).forEach((c) => c.invalidate());
      this.scheduleDraw();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** TensorBoard's smoothing slider (0 = raw). */
  private smoothingControl(): HTMLElement {
    const label = el('label', 'smoothing');
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '0.99';
    slider.step = '0.01';
    slider.value = String(this.smoothing);
    const value = el('span', 'smoothing-value', this.smoothing.toFixed(2));
    slider.addEventListener('input', () => {
      this.smoothing = Number(slider.value);
      value.textContent = this.smoothing.toFixed(2);
      this.viewChanged();
    });
    label.append(el('span', '', 'Smoothing'), slider, value);
    return label;
  }

  private viewChanged(): void {
    this.callbacks.viewChanged({ mode: this.mode, smoothing: this.smoothing });
    this.scheduleDraw();
  }

  get selection(): string[] {
    return this.selected;
  }

  /** Asks the host for every selected run's events after what we hold (all of them for a new run). */
  followSelected(): void {
    const after: Record<string, number> = {};
    for (const id of this.selected) after[id] = this.runs.get(id)?.lastId ?? 0;
    this.callbacks.follow(this.selected, after);
  }

  /**
   * The server's runs. `complete`: the list is the server's whole list (it answered), so a selected run not in
   * it was deleted (e.g. a selection restored after a reload) and is dropped, unless it was shown by id before
   * any list had it (a run just started).
   */
  setRuns(runs: RunSummary[], complete = true): void {
    this.summaries = [...runs].sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.numbers = runNumbers(runs);
    const listed = new Set(runs.map((r) => r.run_id));
    for (const id of listed) this.unlisted.delete(id);
    const kept = complete ? this.selected.filter((id) => listed.has(id) || this.unlisted.has(id)) : this.selected;
    let changed = kept.length < this.selected.length;
    this.selected = kept;
    if (this.selected.length === 0 && this.summaries[0]) {
      this.selected = [this.summaries[0].run_id];
      changed = true;
    }
    if (changed) {
      this.followSelected();
      this.callbacks.selectionChanged(this.selected);
      this.scheduleDraw();
    }
    this.renderList();
  }

  /** Shows one run alone; `overlay` keeps the runs already shown (the list's checkboxes do that). */
  focusRun(runId: string, overlay = false): void {
    if (!this.summaries.some((s) => s.run_id === runId)) this.unlisted.add(runId);
    this.selected = overlay ? [runId, ...this.selected.filter((id) => id !== runId)] : [runId];
    this.followSelected();
    this.callbacks.selectionChanged(this.selected);
    this.renderList();
    this.scheduleDraw();
  }

  addEvents(runId: string, events: TrainingEvent[]): void {
    const run = this.runs.get(runId) ?? emptyRun(runId);
    this.runs.set(runId, run);
    if (ingest(run, events) > 0) this.scheduleDraw();
  }

  setStatus(runId: string, status: StreamStatus, message?: string): void {
    this.status.set(runId, { status, message });
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.dirty) return;
    this.dirty = true;
    setTimeout(() => {
      this.dirty = false;
      this.draw();
    }, 250);
  }

  private label(runId: string): string {
    const name = this.summaries.find((s) => s.run_id === runId)?.name ?? runId.slice(0, 8);
    const n = this.numbers.get(runId);
    return n === undefined ? name : `#${n} ${name}`;
  }

  /** The run's color, the same in the list, the header and every chart. */
  private colorOf(runId: string): string {
    return getComputedStyle(document.body).getPropertyValue(runColorVar(runId, this.numbers)).trim() || '#3794ff';
  }

  private renderList(): void {
    this.list.replaceChildren();
    if (this.summaries.length === 0)
      this.list.appendChild(el('p', 'hint', 'No runs yet. Train a schema ("Train" in the visual editor).'));
    for (const s of this.summaries) {
      const item = el('div', 'run-item');
      item.dataset.runId = s.run_id;
      item.classList.toggle('shown', this.selected.includes(s.run_id));
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = this.selected.includes(s.run_id);
      box.title = 'Overlay this run on the charts';
      box.setAttribute('aria-label', `Overlay ${this.label(s.run_id)} (${s.state})`);
      box.addEventListener('change', () => {
        this.selected = box.checked ? [...this.selected, s.run_id] : this.selected.filter((id) => id !== s.run_id);
        this.followSelected();
        this.callbacks.selectionChanged(this.selected);
        this.renderList();
        this.scheduleDraw();
      });
      const swatch = el('span', 'run-swatch');
      swatch.style.background = this.colorOf(s.run_id);
      const name = el('button', 'run-name', this.label(s.run_id));
      name.title = `Show ${s.name} alone (run ${s.run_id})`;
      name.addEventListener('click', () => this.focusRun(s.run_id));
      const icon = el('span', `codicon ${stateIcon(s.state)} state-${s.state}`);
      const when = el('span', 'run-when', relativeTime(s.created_at));
      when.title = `started ${localTime(s.started_at ?? s.created_at)}`;
      const result = resultLabel(s);
      const meta = el('span', 'run-meta');
      meta.append(
        icon,
        el('span', `state-${s.state}`, ` ${s.state}`),
        document.createTextNode(result ? ` · ${result} · ` : ' · '),
        when,
      );
      item.append(box, swatch, name, meta);
      this.list.appendChild(item);
    }
  }

  private draw(): void {
    const runs = this.selected.map((id) => this.runs.get(id)).filter((r): r is RunSeries => !!r);
    this.element.dataset.points = String(runs.reduce((n, r) => n + pointCount(r), 0));
    this.renderDetails(runs[0]);
    const label = (id: string) => this.label(id);
    const xLabel = this.mode === 'epoch' ? 'epoch' : 'epoch (per batch)';
    // Before its first epoch ends a run knows its planned epochs only from the runs list.
    for (const r of runs) if (!r.epochs) r.epochs = this.summaries.find((s) => s.run_id === r.runId)?.epochs ?? 0;
    const frame = { xLabel, xRange: epochRange(runs), colorOf: (id: string) => this.colorOf(id) };
    const smoothed = (data: ChartData): ChartData =>
      this.smoothing > 0
        ? { x: data.x, series: data.series.map((s) => ({ ...s, values: smooth(s.values, this.smoothing) })) }
        : data;
    this.charts.loss.update(smoothed(chartData(runs, 'loss', this.mode, label)), frame);
    this.charts.accuracy.update(smoothed(chartData(runs, 'accuracy', this.mode, label)), frame);
    this.charts.lr.update(chartData(runs, 'learningRate', 'epoch', label), { ...frame, xLabel: 'epoch' });
    this.charts.speed.update(chartData(runs, 'samplesPerSec', 'epoch', label), { ...frame, xLabel: 'epoch' });
    const hint = runs[0] ? overfitting(runs[0]) : null;
    this.hint.hidden = !hint;
    this.hint.replaceChildren();
    if (hint) this.hint.append(el('span', 'codicon codicon-warning'), document.createTextNode(` ${hint.message}`));
  }

  private renderDetails(run: RunSeries | undefined): void {
    this.details.replaceChildren();
    if (!run) {
      this.details.appendChild(el('p', 'hint', 'Select a run to see its metrics.'));
      return;
    }
    const summary = this.summaries.find((s) => s.run_id === run.runId);
    const state = run.state ?? summary?.state ?? 'queued';
    const head = el('div', 'run-head');
    const swatch = el('span', 'run-swatch');
    swatch.style.background = this.colorOf(run.runId);
    head.append(
      swatch,
      el('span', `codicon ${stateIcon(state)} state-${state}`),
      el('strong', '', this.label(run.runId)),
      el('span', `run-state state-${state}`, state),
    );
    if (summary) {
      const when = el('span', 'run-when', relativeTime(summary.created_at));
      when.title = `started ${localTime(summary.started_at ?? summary.created_at)}`;
      head.appendChild(when);
    }
    const stream = this.status.get(run.runId);
    if (stream && stream.status !== 'live' && stream.status !== 'ended')
      head.appendChild(el('span', 'stream-status', `${stream.status}${stream.message ? `: ${stream.message}` : ''}`));
    if (state === 'running' || state === 'queued') {
      const cancel = document.createElement('vscode-button');
      cancel.setAttribute('secondary', '');
      cancel.setAttribute('icon', 'debug-stop');
      cancel.textContent = 'Cancel';
      cancel.addEventListener('click', () => this.callbacks.command('cancel', run.runId));
      head.appendChild(cancel);
    }
    const bar = document.createElement('vscode-progress-bar') as HTMLElement & { value: number };
    bar.value = Math.round(run.progress * 100);
    const facts = el('div', 'facts-grid');
    const epoch = run.epoch.x.at(-1);
    const fact = (name: string, value: string) => {
      const f = el('div', 'fact');
      f.append(el('span', 'fact-name', name), el('span', 'fact-value', value));
      facts.appendChild(f);
    };
    // The epoch being trained, as the status bar counts it (the last finished one would lag by one).
    const epochs = run.epochs || summary?.epochs || 0;
    const current = run.currentEpoch || epoch;
    fact('progress', `${Math.round(run.progress * 100)}%${current ? ` · epoch ${current}/${epochs || '?'}` : ''}`);
    fact('ETA', state === 'running' ? formatEta(run.etaSeconds) : '–');
    fact('samples/s', run.samplesPerSec !== null ? Math.round(run.samplesPerSec).toLocaleString('en-US') : '–');
    fact('learning rate', run.learningRate !== null ? String(run.learningRate) : '–');
    const lastVal = run.epoch.valAcc.at(-1);
    const lastTrain = run.epoch.trainAcc.at(-1);
    fact('train accuracy (last epoch)', lastTrain !== undefined && lastTrain !== null ? percent(lastTrain) : '–');
    fact('val accuracy (last epoch)', lastVal !== undefined && lastVal !== null ? percent(lastVal) : '–');
    const test = run.test ?? summary?.test ?? null;
    if (test)
      fact(
        'test accuracy',
        `${test.accuracy !== null ? percent(test.accuracy) : `loss ${short(test.loss)}`} (${test.samples} samples)`,
      );
    this.details.append(head, bar, facts);
    if (run.error) {
      const error = el('div', 'run-error');
      error.setAttribute('role', 'alert');
      error.append(el('span', 'codicon codicon-error'), document.createTextNode(` ${run.error}`));
      this.details.appendChild(error);
    }
    if (run.states.length) this.details.appendChild(el('div', 'timeline', run.states.map((s) => s.state).join(' → ')));
  }
}

function stateIcon(state: string): string {
  switch (state) {
    case 'running':
      return 'codicon-sync codicon-modifier-spin';
    case 'queued':
      return 'codicon-clock';
    case 'succeeded':
      return 'codicon-pass';
    case 'failed':
      return 'codicon-error';
    case 'cancelled':
      return 'codicon-circle-slash';
    default:
      return 'codicon-circle-outline';
  }
}
