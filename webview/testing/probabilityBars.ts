/**
 * A prediction's class probabilities as horizontal bars, most likely first (the top k; the rest summed into
 * one "other" line so the bars still add up). Bars use a theme chart colour, the top one highlighted, and
 * each carries its percentage as text. The ranking is pure and tested (./probabilities.ts,
 * test/webview/testingViews.test.ts).
 */
import { el } from '../dom';
import { topProbabilities } from './probabilities';

export function renderProbabilityBars(
  probabilities: ArrayLike<number>,
  classes: readonly string[],
  k = 5,
): HTMLElement {
  const list = el('div', 'probability-bars');
  list.setAttribute('role', 'list');
  topProbabilities(probabilities, classes, k).forEach((b, rank) => {
    const row = el('div', rank === 0 && b.index >= 0 ? 'probability top' : 'probability');
    row.setAttribute('role', 'listitem');
    row.setAttribute('aria-label', `${b.name}: ${b.text}`);
    const track = el('div', 'probability-track');
    const fill = el('div', 'probability-fill');
    fill.style.width = `${String(Math.max(0, Math.min(1, b.probability)) * 100)}%`;
    fill.style.background =
      rank === 0 && b.index >= 0
        ? 'var(--vscode-charts-blue)'
        : 'var(--vscode-charts-lines, var(--vscode-descriptionForeground))';
    track.appendChild(fill);
    row.append(el('span', 'probability-name', b.name), track, el('span', 'probability-value', b.text));
    list.appendChild(row);
  });
  return list;
}
