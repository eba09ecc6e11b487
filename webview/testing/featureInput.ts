/**
 * Parsing the tabular test form (webview/testing/tabularForm.ts): every field must hold a finite number, and
 * a bad one is named so the user knows what to change. Pure: tested in test/webview/testingViews.test.ts.
 */

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
