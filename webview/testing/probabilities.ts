/**
 * A prediction's class probabilities ranked for bars (webview/testing/probabilityBars.ts draws them): the
 * top k, most likely first, the rest summed into one "other" line so the bars still add up. Pure: tested in
 * test/webview/testingViews.test.ts.
 */

export interface ProbabilityBar {
  /** Class index, or -1 for the "other classes" line. */
  index: number;
  name: string;
  probability: number;
  /** "97.3%", or "<0.1%" for a tiny non-zero value (so it does not read as impossible). */
  text: string;
}

export function formatProbability(p: number): string {
  if (p > 0 && p < 0.001) return '<0.1%';
  return `${(p * 100).toFixed(1)}%`;
}

/** The `k` most probable classes in order (ties: lower index first), then "N other classes" if any remain. */
export function topProbabilities(
  probabilities: ArrayLike<number>,
  classes: readonly string[],
  k = 5,
): ProbabilityBar[] {
  const order = Array.from({ length: probabilities.length }, (_, i) => i).sort(
    (a, b) => probabilities[b] - probabilities[a] || a - b,
  );
  const bar = (i: number): ProbabilityBar => ({
    index: i,
    name: classes[i] ?? String(i),
    probability: probabilities[i],
    text: formatProbability(probabilities[i]),
  });
  const top = order.slice(0, Math.max(1, k)).map(bar);
  const rest = order.slice(top.length);
  if (rest.length === 0) return top;
  const other = rest.reduce((a, i) => a + probabilities[i], 0);
  const name = `${String(rest.length)} other class${rest.length === 1 ? '' : 'es'}`;
  return [...top, { index: -1, name, probability: other, text: formatProbability(other) }];
}
