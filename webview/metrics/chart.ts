/**
 * One uPlot chart whose colors follow the VS Code theme (read from CSS variables, re-read on theme change).
 * uPlot draws on a canvas and handles 100,000 points per series without stutter; `update` re-creates the
 * plot only when the set of series changes and otherwise just swaps the data.
 */
import uPlot from 'uplot';
import type { ChartData } from './metricsStore';

const PALETTE_VARS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple',
  '--vscode-charts-red', '--vscode-charts-yellow'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export class Chart {
  readonly element: HTMLElement;
  private plot: uPlot | undefined;
  private signature = '';

  constructor(parent: HTMLElement, private readonly title: string, private readonly format: (v: number) => string, private readonly logScale = false) {
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', title);
    parent.appendChild(this.element);
  }

  update(data: ChartData, xLabel: string): void {
    const signature = `${xLabel}|${data.series.map((s) => s.label).join('|')}|${document.body.className}`;
    const columns = [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData;
    if (this.plot && signature === this.signature) {
      this.plot.setData(columns);
      return;
    }
    this.signature = signature;
    this.plot?.destroy();
    const fg = cssVar('--vscode-foreground', '#888');
    const grid = cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', 'rgba(128,128,128,.25)'));
    const runColors = new Map<string, string>();
    const colorOf = (runId: string) => {
      if (!runColors.has(runId)) runColors.set(runId, cssVar(PALETTE_VARS[runColors.size % PALETTE_VARS.length], '#3794ff'));
      return runColors.get(runId)!;
    };
    const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px sans-serif' };
    this.plot = new uPlot({
      title: this.title,
      width: Math.max(200, this.element.clientWidth),
      height: 200,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: this.logScale ? { distr: 3 } : {} },
      axes: [{ ...axis, label: xLabel, labelSize: 18, labelFont: '11px sans-serif' }, { ...axis, size: 56, values: (_u, vals) => vals.map((v) => this.format(v)) }],
      series: [
        { label: xLabel, value: (_u, v) => (v === null ? '–' : String(Math.round(v * 100) / 100)) },
        ...data.series.map((s) => ({
          label: s.label, stroke: colorOf(s.runId), width: 1.5, dash: s.split === 'val' ? [6, 4] : undefined,
          spanGaps: true, points: { show: data.x.length < 60 }, value: (_u: uPlot, v: number | null) => (v === null ? '–' : this.format(v)),
        })),
      ],
    }, columns, this.element);
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.element.clientWidth), height: 200 });
  }

  /** Forget the plot so the next update rebuilds it (theme colors changed). */
  invalidate(): void {
    this.signature = '';
  }
}
