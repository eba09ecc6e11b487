/**
 * The "Compare Runs" page (`<body data-view="compare">`): two runs side by side. A header card per run
 * (its colour, name, id, state and date; a click on the name opens it in the Stitch panel), the final
 * figures, the hyperparameters with the rows that differ marked (a marker and a text, not colour alone),
 * and the loss and accuracy curves of both runs overlaid by epoch with the metrics panel's charts, each run
 * in the colour it has everywhere (webview/metrics/runLabels.ts). Colours are theme tokens only.
 */
import type { CompareHostMessage, CompareWebviewMessage, RunOrder } from '../../src/shared/compareProtocol';
import type { RunDetail } from '../../src/shared/protocol';
import { el } from '../dom';
import { Chart } from '../metrics/chart';
import { chartData } from '../metrics/metricsStore';
import { distinctRunColorVars, localTime, relativeTime, runColorVar, runNumbers } from '../metrics/runLabels';
import { ACCURACY_RANGE, epochRange } from '../metrics/trends';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { finalRows, hyperparamRows, seriesOf } from './compareModel';

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
const short = (v: number) => String(Math.round(v * 1000) / 1000);

export function startCompare(app: HTMLElement): void {
  const host = hostChannel<CompareHostMessage, CompareWebviewMessage, undefined>();
  const root = el('div', 'compare');
  root.append(el('p', 'hint', 'Loading the two runs…'));
  app.appendChild(root);
  let redraw: (() => void) | undefined;
  host.onMessage((message) => {
    switch (message.type) {
      case 'compare':
        redraw = render(root, message.runs, message.order, (runId) => host.post({ type: 'showMetrics', runId }));
        break;
      case 'error':
        root.replaceChildren(el('p', 'compare-error', `Could not compare the runs: ${message.message}`));
        root.firstElementChild?.setAttribute('role', 'alert');
        break;
      default:
        ignoreUnknown(message, 'compare message');
    }
  });
  // A theme change re-reads the colours (the charts draw on a canvas).
  new MutationObserver(() => redraw?.()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  host.post({ type: 'ready' });
}

/** Draws both runs; returns what redraws the charts in new theme colours. */
function render(
  root: HTMLElement,
  runs: [RunDetail, RunDetail],
  order: RunOrder[],
  open: (runId: string) => void,
): () => void {
  const numbers = runNumbers(order.length ? order : runs);
  const colors = new Map(
    distinctRunColorVars(
      runs.map((r) => r.run_id),
      numbers,
    ).map((color, i) => [runs[i].run_id, color]),
  );
  const colorVar = (runId: string) => colors.get(runId) ?? runColorVar(runId, numbers);
  const colorOf = (runId: string) =>
    getComputedStyle(document.body).getPropertyValue(colorVar(runId)).trim() || '#3794ff';
  const label = (runId: string) => `#${numbers.get(runId) ?? '?'} ${runs.find((r) => r.run_id === runId)?.name ?? ''}`;

  const header = el('div', 'compare-runs');
  for (const run of runs) header.appendChild(runCard(run, label(run.run_id), colorVar(run.run_id), open));

  const charts = el('div', 'charts compare-charts');
  root.replaceChildren(
    header,
    section('Final metrics', finalTable(runs, label)),
    section('Hyperparameters', hyperparamTable(runs, label)),
    section('Curves by epoch (solid: train, dashed: validation)', charts),
  );
  const loss = new Chart(charts, { title: 'Loss', yLabel: 'loss', format: short });
  const accuracy = new Chart(charts, {
    title: 'Accuracy',
    yLabel: 'accuracy',
    format: percent,
    yRange: ACCURACY_RANGE,
  });
  const series = runs.map(seriesOf);
  const draw = () => {
    const frame = { xLabel: 'epoch', xRange: epochRange(series), colorOf };
    loss.update(chartData(series, 'loss', 'epoch', label), frame);
    accuracy.update(chartData(series, 'accuracy', 'epoch', label), frame);
  };
  draw();
  new ResizeObserver(() => {
    loss.resize();
    accuracy.resize();
  }).observe(charts);
  return () => {
    loss.invalidate();
    accuracy.invalidate();
    draw();
  };
}

function runCard(run: RunDetail, title: string, colorVar: string, open: (runId: string) => void): HTMLElement {
  const card = el('div', 'compare-run');
  card.dataset.runId = run.run_id;
  card.style.borderLeftColor = `var(${colorVar})`;
  const name = el('button', 'compare-run-name', title);
  name.title = 'Show this run in the Stitch panel';
  name.addEventListener('click', () => open(run.run_id));
  const when = el('span', 'compare-run-time', relativeTime(run.created_at));
  when.title = localTime(run.created_at);
  const meta = el('div', 'compare-run-meta', `${run.run_id} · ${run.state} · `);
  meta.appendChild(when);
  card.append(name, meta);
  return card;
}

function section(title: string, body: HTMLElement): HTMLElement {
  const s = el('section', 'compare-section');
  s.append(el('h2', '', title), body);
  return s;
}

function table(columns: string[]): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const t = el('table', 'compare-table');
  const head = t.createTHead().insertRow();
  for (const c of columns) head.appendChild(el('th', '', c)).setAttribute('scope', 'col');
  return { table: t, body: t.createTBody() };
}

function finalTable(runs: [RunDetail, RunDetail], label: (id: string) => string): HTMLElement {
  const { table: t, body } = table(['', label(runs[0].run_id), label(runs[1].run_id)]);
  t.classList.add('compare-final');
  for (const row of finalRows(runs[0], runs[1])) {
    const tr = body.insertRow();
    tr.appendChild(el('th', '', row.label)).setAttribute('scope', 'row');
    const format = row.kind === 'accuracy' ? percent : short;
    for (const v of row.values) tr.insertCell().textContent = v === null ? '–' : format(v);
  }
  return t;
}

function hyperparamTable(runs: [RunDetail, RunDetail], label: (id: string) => string): HTMLElement {
  const rows = hyperparamRows(runs[0], runs[1]);
  const { table: t, body } = table(['setting', label(runs[0].run_id), label(runs[1].run_id), '']);
  t.classList.add('compare-hyperparams');
  for (const row of rows) {
    const tr = body.insertRow();
    if (row.differs) tr.className = 'differs';
    // A break opportunity after each dot: long dotted names wrap between their parts in a narrow tab.
    tr.appendChild(el('th', '', row.key.replaceAll('.', '.\u200b'))).setAttribute('scope', 'row');
    for (const v of row.values) tr.insertCell().textContent = v;
    tr.insertCell().textContent = row.differs ? '≠ differs' : '';
  }
  const count = rows.filter((r) => r.differs).length;
  const summary = el(
    'p',
    'compare-summary',
    count === 0 ? 'Same settings.' : `${count} of ${rows.length} settings differ.`,
  );
  const wrap = el('div');
  wrap.append(summary, t);
  return wrap;
}
