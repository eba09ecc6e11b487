/**
 * The confusion matrix heat map's cells (webview/evaluation/confusionMatrix.ts draws them): row-normalised
 * intensities, so a small class's mistakes show as clearly as a large one's, the "t,p" key of
 * `Evaluation.cells` (docs/evaluation.md), an accessible label, and a theme-token colour. Pure: tested in
 * test/webview/evaluationViews.test.ts.
 */

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
export function confusionCells(
  confusion: readonly (readonly number[])[],
  classes: readonly string[],
): ConfusionCell[][] {
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

/**
 * Correct cells in green, mistakes in red; `intensity` sets how much of the colour shows, at most 60% so the
 * count (in the theme's foreground) stays legible on it in Light, Dark and High Contrast.
 */
export function cellBackground(cell: Pick<ConfusionCell, 'truth' | 'predicted' | 'intensity'>): string {
  if (cell.intensity <= 0) return 'transparent';
  const token = cell.truth === cell.predicted ? '--vscode-charts-green' : '--vscode-charts-red';
  const percent = Math.round(15 + 45 * cell.intensity);
  return `color-mix(in srgb, var(${token}) ${String(percent)}%, transparent)`;
}
