/**
 * A form for testing a tabular (CSV) model: one number field per feature, in the model's feature order.
 * Parsing is pure and tested (./featureInput.ts, test/webview/testingViews.test.ts): every field must hold a
 * finite number, and a bad one is named so the user knows what to change.
 */
import { button, el } from '../dom';
import { fieldId, parseFeatures } from './featureInput';

/**
 * The form; `onSubmit(values)` with the parsed features. `initial` pre-fills the fields (e.g. a test
 * example's features from the gallery, docs/evaluation.md).
 */
export function renderTabularForm(
  names: readonly string[],
  onSubmit: (values: number[]) => void,
  initial: readonly number[] = [],
): HTMLElement {
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
    const parsed = parseFeatures(
      names,
      inputs.map((x) => x.value),
    );
    errors.replaceChildren(...(parsed.ok ? [] : parsed.errors.map((e) => el('div', '', e))));
    if (parsed.ok) onSubmit(parsed.values);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  // A form of several text fields and no native submit button is not submitted by Enter: do it here.
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target instanceof HTMLInputElement) {
      e.preventDefault();
      submit();
    }
  });
  form.append(errors, button('Predict', 'play', submit, false));
  return form;
}
