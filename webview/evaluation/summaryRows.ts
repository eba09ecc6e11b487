/**
 * The `model.summary()`-style table's texts (src/shared/schema/summary.ts; webview/evaluation/summaryTable.ts
 * draws them). Pure: tested in test/webview/evaluationViews.test.ts.
 */
import { formatSummaryShape, type ModelSummaryTable } from '../../src/shared/schema/summary';

/** 1234567 → "1,234,567" (fixed locale so the tests and every user see the same digits). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function summaryRows(table: ModelSummaryTable): string[][] {
  return table.rows.map((r) => [`${r.id} (${r.className})`, formatSummaryShape(r.outputShape), formatCount(r.params)]);
}

export function summaryTotals(table: ModelSummaryTable): [string, string][] {
  return [
    ['Total params', formatCount(table.total)],
    ['Trainable params', formatCount(table.trainable)],
    ['Non-trainable params', formatCount(table.nonTrainable)],
  ];
}
