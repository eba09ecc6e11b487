/**
 * The confusion matrix as a heat map: each cell's colour comes from its count divided by its row's total (the
 * share of true class t predicted as p), so a small class's mistakes show as clearly as a large one's. The
 * colour is a theme token mixed with transparency (legible in Light, Dark and High Contrast); the count is
 * written in each cell and the title says it in words. Clicking a cell reports its "t,p" key (the key of
 * `Evaluation.cells`, docs/evaluation.md). The pure part (`confusionCells`) is tested in
 * test/webview/evaluationViews.test.ts.
 */
import type { Evaluation } from '../../src/shared/evaluation';
import { el } from '../dom';

export interface ConfusionCell {
  /** "t,p", the key of `Evaluation.cells`. */
  key: string;
  truth: number;
  predicted: number;
  count: number;
  /** count / row total, 0..1 (0 for an empty row). */
  intensity: number;
  /** E.g. "true 3, predicted 5: 12 samples". */
  label: string;
}

const plural = (n: number, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

/** The cells row by row (true class), with row-normalised intensities and accessible labels. */
export function confusionCells(confusion: readonly (readonly number[])[], classes: readonly string[]): ConfusionCell[][] {
  return confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({
      key: `${String(t)},${String(p)}`,
      truth: t,
      predicted: p,
      count,
      intensity: total > 0 ? count / total : 0,
      label: `true ${classes[t] ?? String(t)}, predicted ${classes[p] ?? String(p)}: ${plural(count, 'sample')}`,
    }));
  });
}

/** Correct cells in green, mistakes in red; `intensity` sets how much of the colour shows. */
export function cellBackground(cell: Pick<ConfusionCell, 'truth' | 'predicted' | 'intensity'>): string {
  if (cell.intensity <= 0) return 'transparent';
  const token = cell.truth === cell.predicted ? '--vscode-charts-green' : '--vscode-charts-red';
  const percent = Math.round(15 + 70 * cell.intensity);
  return `color-mix(in srgb, var(${token}) ${String(percent)}%, transparent)`;
}

/** A `<table>` heat map; `onCell("t,p")` on a click (or Enter) on a cell with samples. */
export function renderConfusionMatrix(evaluation: Pick<Evaluation, 'confusion' | 'classes'>, onCell: (key: string) => void): HTMLElement {
  const table = el('table', 'confusion-matrix');
  table.setAttribute('aria-label', 'Confusion matrix: rows are true classes, columns predicted classes');
  const head = table.createTHead().insertRow();
  head.appendChild(el('th', 'corner', 'true \\ predicted'));
  for (const name of evaluation.classes) head.appendChild(el('th', '', name)).setAttribute('scope', 'col');
  const body = table.createTBody();
  confusionCells(evaluation.confusion, evaluation.classes).forEach((row, t) => {
    const tr = body.insertRow();
    tr.appendChild(el('th', '', evaluation.classes[t] ?? String(t))).setAttribute('scope', 'row');
    for (const cell of row) {
      const td = el('td', cell.truth === cell.predicted ? 'diagonal' : '', String(cell.count));
      td.title = cell.label;
      td.setAttribute('aria-label', cell.label);
      td.style.background = cellBackground(cell);
      if (cell.count > 0) {
        td.tabIndex = 0;
        td.addEventListener('click', () => { onCell(cell.key); });
        td.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') onCell(cell.key); });
      }
      tr.appendChild(td);
    }
  });
  return table;
}
