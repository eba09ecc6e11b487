/**
 * The per-class table's rows (webview/evaluation/classTable.ts draws them): percentages, "—" where a metric
 * is undefined (a class never predicted has no precision, docs/evaluation.md), and sorting by any column.
 * Pure: tested in test/webview/evaluationViews.test.ts.
 */
import type { ClassMetrics } from '../../src/shared/evaluation';

export type ClassColumn = 'name' | 'precision' | 'recall' | 'f1' | 'support';
export interface ClassSort {
  column: ClassColumn;
  descending: boolean;
}

export const CLASS_COLUMNS: readonly { column: ClassColumn; title: string }[] = [
  { column: 'name', title: 'Class' },
  { column: 'precision', title: 'Precision' },
  { column: 'recall', title: 'Recall' },
  { column: 'f1', title: 'F1' },
  { column: 'support', title: 'Support' },
];

/** 0.8765 → "87.7%"; null → "—". */
export function formatPercent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

export function formatCell(row: ClassMetrics, column: ClassColumn): string {
  if (column === 'name') return row.name;
  if (column === 'support') return String(row.support);
  return formatPercent(row[column]);
}

/**
 * Rows sorted by `sort` (stable; the class order breaks ties). Names compare numerically where they are
 * numbers ("2" before "10"); nulls go last in either direction, since "undefined" is not a small value.
 */
export function sortClasses(rows: readonly ClassMetrics[], sort: ClassSort): ClassMetrics[] {
  const sign = sort.descending ? -1 : 1;
  const indexed = rows.map((row, i) => ({ row, i }));
  indexed.sort((a, b) => {
    const x = a.row[sort.column],
      y = b.row[sort.column];
    if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
    const order =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y), undefined, { numeric: true });
    return order !== 0 ? sign * order : a.i - b.i;
  });
  return indexed.map((x) => x.row);
}

/** Clicking the sorted column flips its direction; another column sorts by it (metrics worst first). */
export function nextSort(current: ClassSort, column: ClassColumn): ClassSort {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: false };
}
