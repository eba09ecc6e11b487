/**
 * The per-class table of an evaluation: class, precision, recall, F1 and support, as percentages ("—" where a
 * metric is undefined: a class never predicted has no precision, docs/evaluation.md), sortable by clicking a
 * column header. Sorting and formatting are pure and tested (test/webview/evaluationViews.test.ts, via ./classRows.ts).
 */
import type { ClassMetrics } from '../../src/shared/evaluation';
import { el } from '../dom';
import { CLASS_COLUMNS, formatCell, nextSort, sortClasses, type ClassSort } from './classRows';

/** A sortable `<table>`; re-renders its body in place on a header click. */
export function renderClassTable(
  rows: readonly ClassMetrics[],
  initial: ClassSort = { column: 'name', descending: false },
): HTMLElement {
  let sort = initial;
  const table = el('table', 'class-table');
  const head = table.createTHead().insertRow();
  const body = table.createTBody();
  const headers = CLASS_COLUMNS.map(({ column, title }) => {
    const th = el('th', column === 'name' ? '' : 'numeric');
    th.setAttribute('scope', 'col');
    const b = el('button', 'sort', title);
    b.addEventListener('click', () => {
      sort = nextSort(sort, column);
      draw();
    });
    th.appendChild(b);
    head.appendChild(th);
    return th;
  });
  const draw = (): void => {
    CLASS_COLUMNS.forEach(({ column }, i) => {
      headers[i].setAttribute(
        'aria-sort',
        column === sort.column ? (sort.descending ? 'descending' : 'ascending') : 'none',
      );
    });
    body.replaceChildren(
      ...sortClasses(rows, sort).map((row) => {
        const tr = el('tr');
        for (const { column } of CLASS_COLUMNS)
          tr.appendChild(el('td', column === 'name' ? '' : 'numeric', formatCell(row, column)));
        return tr;
      }),
    );
  };
  draw();
  return table;
}
