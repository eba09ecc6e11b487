/**
 * One uPlot chart whose colors follow the VS Code theme (read from CSS variables, re-read on theme change).
 * uPlot draws on a canvas and handles 100,000 points per series without stutter; `update` re-creates the
 * plot only when the set of series (or the theme) changes and otherwise just swaps the data.
 * The x axis is in epochs with whole-epoch ticks; the y axis is labelled and may have a fixed range
 * (accuracy: 0–100%). Each run has one color in every view (the caller's `colorOf`).
 */
import uPlot from 'uplot';
import type { ChartData } from './metricsStore';
import { epochTicks } from './trends';

export interface ChartOptions {
  title: string;
  yLabel: string;
  format: (v: number) => string;
  logScale?: boolean;
  /** A fixed y range (accuracy), instead of the data's. */
  yRange?: [number, number];
}

export interface ChartFrame {
  xLabel: string;
  /** The x range in epochs, so that a live run grows into a fixed frame. */
  xRange: [number, number];
  colorOf: (runId: string) => string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** `color` with its alpha scaled by `alpha` (theme colors arrive as hex or rgb(); the browser normalizes). */
export function withAlpha(color: string, alpha: number): string {
  const probe = document.createElement('span');
  probe.style.color = color;
  document.body.appendChild(probe);
  const rgb = getComputedStyle(probe).color;
  probe.remove();
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(rgb);
  if (!m) return color;
  const a = (m.at(4) === undefined ? 1 : Number(m.at(4))) * alpha;
  return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${a.toFixed(3)})`;
}

export class Chart {
  readonly element: HTMLElement;
  private plot: uPlot | undefined;
  private signature = '';
  private frame: ChartFrame | undefined;

  constructor(
    parent: HTMLElement,
    private readonly options: ChartOptions,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', options.title);
    parent.appendChild(this.element);
  }

  update(data: ChartData, frame: ChartFrame): void {
    this.frame = frame;
    const signature = `${frame.xLabel}|${data.series.map((s) => `${s.label}:${frame.colorOf(s.runId)}`).join('|')}|${document.body.className}`;
    const columns = [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData;
    this.element.dataset.points = String(
      data.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0),
    );
    if (this.plot && signature === this.signature) {
      this.plot.setData(columns);
      return;
    }
    this.signature = signature;
    this.plot?.destroy();
    this.plot = new uPlot(this.plotOptions(data, frame), columns, this.element);
  }

  private plotOptions(data: ChartData, frame: ChartFrame): uPlot.Options {
    const { title, yLabel, format, logScale, yRange } = this.options;
    const fg = cssVar('--vscode-foreground', '#888');
    // The grid stays well below the data, also in High Contrast where the border tokens are bright.
    const grid = withAlpha(cssVar('--vscode-charts-lines', cssVar('--vscode-foreground', '#888')), 0.18);
    const font = '11px sans-serif';
    const axis: uPlot.Axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font,
      labelFont: font,
      labelSize: 16,
    };
    return {
      title,
      width: Math.max(200, this.element.clientWidth),
      height: 200,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false, range: () => this.frame?.xRange ?? frame.xRange },
        y: logScale ? { distr: 3 } : yRange ? { range: () => yRange } : {},
      },
      axes: [
        {
          ...axis,
          label: frame.xLabel,
          splits: (u) => epochTicks(u.scales.x.min ?? 0, u.scales.x.max ?? 1),
          values: (_u, vals) => vals.map((v) => String(v)),
        },
        { ...axis, label: yLabel, size: 56, values: (_u, vals) => vals.map((v) => format(v)) },
      ],
      series: [
        {
          label: frame.xLabel,
          value: (_u, v: number | null) => (v === null ? '–' : String(Math.round(v * 100) / 100)),
        },
        ...data.series.map((s) => ({
          label: s.label,
          stroke: s.split === 'live' ? withAlpha(frame.colorOf(s.runId), 0.7) : frame.colorOf(s.runId),
          width: s.split === 'live' ? 1 : 1.75,
          dash: s.split === 'val' ? [6, 4] : undefined,
          spanGaps: true,
          points: { show: s.split !== 'live' && data.x.length < 60, size: 6 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        })),
      ],
    };
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.element.clientWidth), height: 200 });
  }

  /** Forget the plot so the next update rebuilds it (theme colors changed). */
  invalidate(): void {
    this.signature = '';
  }
}
