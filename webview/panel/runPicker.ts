/**
 * The run picker of the Evaluate and Test tabs: the runs that have a trained model (succeeded), newest
 * first, as a native `<select>` in the theme's dropdown colours. The list and labels are pure (tested in
 * test/webview/modelTabs.test.ts); the element is drawn by `renderRunPicker`.
 */
import type { RunSummary } from '../../src/shared/protocol';
import { el } from '../dom';

/** Runs with a trained model, newest first. */
export function modelRuns(runs: readonly RunSummary[]): RunSummary[] {
  return runs
    .filter((r) => r.state === 'succeeded' && r.model_id !== null)
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** "mnist-cnn · 97.4% · 2026-12-04 19:03" (accuracy when the run has one). */
export function runLabel(run: RunSummary): string {
  const accuracy = run.test?.accuracy;
  const parts = [run.name || run.run_id];
  if (accuracy !== null && accuracy !== undefined) parts.push(`${(accuracy * 100).toFixed(1)}%`);
  parts.push(run.created_at.slice(0, 16).replace('T', ' '));
  return parts.join(' · ');
}

/** The picker; a selected run not (yet) in the list still shows, by its id. */
export function renderRunPicker(
  runs: readonly RunSummary[],
  selected: string | null,
  onPick: (runId: string) => void,
): HTMLElement {
  const label = el('label', 'run-picker');
  label.append(el('span', '', 'Run '));
  const select = el('select');
  select.setAttribute('aria-label', 'Run to evaluate and test');
  const options = modelRuns(runs).map((r) => ({ value: r.run_id, text: runLabel(r) }));
  if (selected && !options.some((o) => o.value === selected)) options.unshift({ value: selected, text: selected });
  if (options.length === 0) options.push({ value: '', text: 'No trained run yet' });
  for (const o of options) {
    const option = el('option', '', o.text);
    option.value = o.value;
    select.appendChild(option);
  }
  select.value = selected ?? '';
  select.disabled = options.length === 1 && options[0].value === '';
  select.addEventListener('change', () => {
    if (select.value) onPick(select.value);
  });
  label.appendChild(select);
  return label;
}
