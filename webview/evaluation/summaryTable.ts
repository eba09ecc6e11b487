/**
 * The model's `model.summary()`-style table (src/shared/schema/summary.ts) as an HTML table: layer (type),
 * output shape, parameters, then the total / trainable / non-trainable counts. The row texts are pure and
 * tested (test/webview/evaluationViews.test.ts, via ./summaryRows.ts).
 */
import type { ModelSummaryTable } from '../../src/shared/schema/summary';
import { el } from '../dom';
import { summaryRows, summaryTotals } from './summaryRows';

export function renderSummaryTable(table: ModelSummaryTable): HTMLElement {
  const t = el('table', 'summary-table');
  const head = t.createTHead().insertRow();
  for (const title of ['Layer (type)', 'Output shape', 'Param #'])
    head.appendChild(el('th', title === 'Param #' ? 'numeric' : '', title)).setAttribute('scope', 'col');
  const body = t.createTBody();
  for (const cells of summaryRows(table)) {
    const tr = body.insertRow();
    cells.forEach((text, i) => tr.appendChild(el('td', i === 2 ? 'numeric' : i === 1 ? 'shape' : '', text)));
  }
  const foot = t.createTFoot();
  for (const [label, value] of summaryTotals(table)) {
    const tr = foot.insertRow();
    const th = el('th', '', label);
    th.colSpan = 2;
    th.setAttribute('scope', 'row');
    tr.append(th, el('td', 'numeric', value));
  }
  return t;
}
