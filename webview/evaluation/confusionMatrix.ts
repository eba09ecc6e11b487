/**
 * The confusion matrix as a heat map: each cell's colour comes from its count divided by its row's total (the
 * share of true class t predicted as p), so a small class's mistakes show as clearly as a large one's. The
 * colour is a theme token mixed with transparency (legible in Light, Dark and High Contrast); the count is
 * written in each cell and the title says it in words. Clicking a cell reports its "t,p" key (the key of
 * `Evaluation.cells`, docs/evaluation.md). The pure part (`confusionCells`) is tested in
 * test/webview/evaluationViews.test.ts, via ./confusionCells.ts.
 */
import type { Evaluation } from '../../src/shared/evaluation';
import { el } from '../dom';
import { confusionCells, cellBackground } from './confusionCells';

/** A `<table>` heat map; `onCell("t,p")` on a click (or Enter) on a cell with samples. */
export function renderConfusionMatrix(
  evaluation: Pick<Evaluation, 'confusion' | 'classes'>,
  onCell: (key: string) => void,
): HTMLElement {
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
        td.addEventListener('click', () => {
          onCell(cell.key);
        });
        td.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') onCell(cell.key);
        });
      }
      tr.appendChild(td);
    }
  });
  return table;
}
