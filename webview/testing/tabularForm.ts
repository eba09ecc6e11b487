/**
 * A form for testing a tabular (CSV) model: one number field per feature, in the model's feature order.
 * Parsing is pure and tested (test/webview/testingViews.test.ts): every field must hold a finite number,
 * and a bad one is named so the user knows what to change.
 */
import { button, el } from '../dom';

export type ParsedInput = { ok: true; values: number[] } | { ok: false; errors: string[] };

/** The raw field texts (in feature order) as numbers, or one error per bad field. */
export function parseFeatures(names: readonly string[], texts: readonly string[]): ParsedInput {
  const errors: string[] = [];
  const values = names.map((name, i) => {
    const text = (texts[i] ?? '').trim();
    const value = Number(text);
    if (text === '') errors.push(`${name}: enter a number`);
    else if (!Number.isFinite(value)) errors.push(`${name}: "${text}" is not a number`);
    return value;
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}

/** A field's id: feature names are column headers and may hold spaces or punctuation. */
export function fieldId(index: number): string {
  return `feature-${String(index)}`;
}

/**
 * The form; `onSubmit(values)` with the parsed features. `initial` pre-fills the fields (e.g. a test
 * example's features from the gallery, docs/evaluation.md).
 */
export function renderTabularForm(names: readonly string[], onSubmit: (values: number[]) => void, initial: readonly number[] = []): HTMLElement {
  const form = el('form', 'tabular-form');
  const inputs = names.map((name, i) => {
    const row = el('div', 'field');
    const label = el('label', '', name);
    label.htmlFor = fieldId(i);
    const input = el('input');
    input.id = fieldId(i);
    input.type = 'text';
    input.inputMode = 'decimal';
    input.value = i < initial.length ? String(initial[i]) : '';
    row.append(label, input);
    form.appendChild(row);
    return input;
  });
  const errors = el('div', 'form-errors');
  errors.setAttribute('role', 'alert');
  const submit = (): void => {
    const parsed = parseFeatures(names, inputs.map((x) => x.value));
    errors.replaceChildren(...(parsed.ok ? [] : parsed.errors.map((e) => el('div', '', e))));
    if (parsed.ok) onSubmit(parsed.values);
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  form.append(errors, button('Predict', 'play', submit, false));
  return form;
}
