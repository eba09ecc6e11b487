/**
 * The metrics tab: the runs list (check several to overlay them), the selected run's state, progress, ETA,
 * samples/s, learning rate and failure message, and uPlot charts of loss and accuracy (per epoch or per
 * batch), learning rate and throughput. Charts redraw at most four times a second whatever the event rate.
 */
import type { RunSummary, TrainingEvent } from '../../src/shared/protocol';
import type { StreamStatus } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { Chart } from './chart';
import { chartData, emptyRun, formatEta, ingest, pointCount, type ChartMode, type RunSeries } from './metricsStore';

export interface MetricsCallbacks {
  follow(runIds: string[], after: Record<string, number>): void;
  refresh(): void;
  selectionChanged(runIds: string[]): void;
  command(command: 'train' | 'cancel', runId?: string): void;
}

const percent = (v: number) => `${(v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1)}%`;
const short = (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)}k` : Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(0) : String(Math.round(v * 1000) / 1000));

export class MetricsView {
  readonly element: HTMLElement;
  private readonly runs = new Map<string, RunSeries>();
  private summaries: RunSummary[] = [];
  private selected: string[];
  private mode: ChartMode = 'epoch';
  private readonly status = new Map<string, { status: StreamStatus; message?: string }>();
  private readonly list = el('div', 'run-list');
  private readonly details = el('div', 'run-details');
  private readonly charts: { loss: Chart; accuracy: Chart; lr: Chart; speed: Chart };
  private dirty = false;

  constructor(parent: HTMLElement, initial: string[], private readonly callbacks: MetricsCallbacks) {
    this.selected = initial;
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
      b.addEventListener('click', () => {
        this.mode = m;
        modes.querySelectorAll('button').forEach((x) => x.setAttribute('aria-checked', String(x === b)));
        this.scheduleDraw();
      });
      modes.appendChild(b);
    }
    const grid = el('div', 'charts');
    main.append(this.details, modes, grid);
    this.charts = {
      loss: new Chart(grid, 'Loss', short),
      accuracy: new Chart(grid, 'Accuracy', percent),
      lr: new Chart(grid, 'Learning rate', short),
      speed: new Chart(grid, 'Samples / s', short),
    };
    this.element.append(side, main);
    parent.appendChild(this.element);
    new ResizeObserver(() => Object.values(this.charts).forEach((c) => c.resize())).observe(grid);
    new MutationObserver(() => {
      Object.values(this.charts).forEach((c) => c.invalidate());
      this.scheduleDraw();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
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

  setRuns(runs: RunSummary[]): void {
    this.summaries = [...runs].sort((a, b) => b.created_at.localeCompare(a.created_at));
    if (this.selected.length === 0 && this.summaries[0]) {
      this.selected = [this.summaries[0].run_id];
      this.followSelected();
      this.callbacks.selectionChanged(this.selected);
    }
    this.renderList();
  }

  /** Shows one run (and keeps the others checked for comparison). */
  focusRun(runId: string): void {
    if (!this.selected.includes(runId)) this.selected = [runId, ...this.selected];
    else this.selected = [runId, ...this.selected.filter((id) => id !== runId)];
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
    return this.summaries.find((s) => s.run_id === runId)?.name ?? runId.slice(0, 8);
  }

  private renderList(): void {
    this.list.replaceChildren();
    if (this.summaries.length === 0) this.list.appendChild(el('p', 'hint', 'No runs yet. Train a schema ("Train" in the visual editor).'));
    for (const s of this.summaries) {
      const item = el('label', 'run-item');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = this.selected.includes(s.run_id);
      box.setAttribute('aria-label', `Show ${s.name} (${s.state})`);
      box.addEventListener('change', () => {
        this.selected = box.checked ? [...this.selected, s.run_id] : this.selected.filter((id) => id !== s.run_id);
        this.followSelected();
        this.callbacks.selectionChanged(this.selected);
        this.scheduleDraw();
      });
      const icon = el('span', `codicon ${stateIcon(s.state)} state-${s.state}`);
      const text = el('span', 'run-name', s.name);
      const meta = el('span', 'run-meta', `${s.state}${s.best_val_accuracy !== null ? ` · ${percent(s.best_val_accuracy)}` : ''}`);
      item.title = `${s.run_id}\n${s.created_at}`;
      item.append(box, icon, text, meta);
      this.list.appendChild(item);
    }
  }

  private draw(): void {
    const runs = this.selected.map((id) => this.runs.get(id)).filter((r): r is RunSeries => !!r);
    this.element.dataset.points = String(runs.reduce((n, r) => n + pointCount(r), 0));
    this.renderDetails(runs[0]);
    const label = (id: string) => this.label(id);
    const xLabel = this.mode === 'epoch' ? 'epoch' : 'epoch (per batch)';
    this.charts.loss.update(chartData(runs, 'loss', this.mode, label), xLabel);
    this.charts.accuracy.update(chartData(runs, 'accuracy', this.mode, label), xLabel);
    this.charts.lr.update(chartData(runs, 'learningRate', 'epoch', label), 'epoch');
    this.charts.speed.update(chartData(runs, 'samplesPerSec', 'epoch', label), 'epoch');
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
    head.append(el('span', `codicon ${stateIcon(state)} state-${state}`), el('strong', '', this.label(run.runId)),
      el('span', `run-state state-${state}`, state));
    const stream = this.status.get(run.runId);
    if (stream && stream.status !== 'live' && stream.status !== 'ended') head.appendChild(el('span', 'stream-status', `${stream.status}${stream.message ? `: ${stream.message}` : ''}`));
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
    fact('progress', `${Math.round(run.progress * 100)}%${epoch !== undefined ? ` · epoch ${epoch}/${run.epochs}` : ''}`);
    fact('ETA', state === 'running' ? formatEta(run.etaSeconds) : '–');
    fact('samples/s', run.samplesPerSec !== null ? Math.round(run.samplesPerSec).toLocaleString('en-US') : '–');
    fact('learning rate', run.learningRate !== null ? String(run.learningRate) : '–');
    const lastVal = run.epoch.valAcc.at(-1);
    fact('val accuracy', lastVal !== undefined && lastVal !== null ? percent(lastVal) : '–');
    if (run.test) fact('test', `${run.test.accuracy !== null ? percent(run.test.accuracy) : `loss ${short(run.test.loss)}`} (${run.test.samples} samples)`);
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
    case 'running': return 'codicon-sync codicon-modifier-spin';
    case 'queued': return 'codicon-clock';
    case 'succeeded': return 'codicon-pass';
    case 'failed': return 'codicon-error';
    case 'cancelled': return 'codicon-circle-slash';
    default: return 'codicon-circle-outline';
  }
}
