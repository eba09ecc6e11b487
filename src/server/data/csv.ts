/**
 * CSV datasets from the workspace: `{ "csv": "data/iris.csv", "label": "species" }`. The first row names the
 * columns; every column but the label is a numeric feature; labels (strings or numbers) become class
 * indices in sorted order. A bad row is reported with its line number so it can be fixed. The file is
 * streamed line by line, within the caps of boundedRead.ts.
 */
import { shuffledIndices } from '../random';
import { textLines } from './boundedRead';
import { resolveWorkspaceFile } from './paths';
import { holdOut, type Dataset, type DatasetContext } from './types';

/** Fraction of the rows held out as the test split. */
const TEST_FRACTION = 0.2;

/** Splits one CSV line into fields: commas separate, double quotes group (`""` is a quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

/** Sorted distinct labels: numerically when every label is a number, else alphabetically. */
function classNamesOf(labels: string[]): string[] {
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((l) => l !== '' && Number.isFinite(Number(l)));
  return numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
}

/**
 * A dataset from CSV lines (the first non-empty one is the header). Lines come one at a time, so a file is
 * never held whole: see `textLines` for the caps on its size.
 */
export async function parseCsvLines(
  lines: Iterable<string> | AsyncIterable<string>,
  label: string,
  name: string,
  seed: number,
): Promise<Dataset> {
  let header: string[] | undefined;
  let labelColumn = -1;
  let featureColumns: number[] = [];
  const features: number[] = [];
  const rawLabels: string[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (!header) {
      header = splitCsvLine(line);
      labelColumn = header.indexOf(label);
      if (labelColumn < 0) {
        throw new Error(
          `${name} has no column "${label}" in its header (columns: ${header.join(', ')}); set training.dataset.label to one of them`,
        );
      }
      featureColumns = header.map((_, i) => i).filter((i) => i !== labelColumn);
      if (featureColumns.length === 0)
        throw new Error(`${name} has only the label column; add numeric feature columns`);
      continue;
    }
    const fields = splitCsvLine(line);
    if (fields.length !== header.length) {
      throw new Error(
        `${name} line ${lineNo}: ${fields.length} values but the header has ${header.length} columns; fix or remove the row`,
      );
    }
    for (const c of featureColumns) {
      const value = Number(fields[c]);
      if (fields[c] === '' || !Number.isFinite(value)) {
        throw new Error(
          `${name} line ${lineNo}: column "${header[c]}" is "${fields[c]}", not a number; fix or remove the row`,
        );
      }
      features.push(value);
    }
    if (fields[labelColumn] === '')
      throw new Error(`${name} line ${lineNo}: the label column "${label}" is empty; fix or remove the row`);
    rawLabels.push(fields[labelColumn]);
  }
  if (!header) throw new Error(`${name} is empty; it needs a header row and at least one data row`);
  const count = rawLabels.length;
  if (count < 2)
    throw new Error(`${name} has ${count} data rows; it needs at least 2 (one for training, one for testing)`);
  const classNames = classNamesOf(rawLabels);
  const index = new Map(classNames.map((n, i) => [n, i]));
  const all = { x: Float32Array.from(features), labels: Int32Array.from(rawLabels, (l) => index.get(l) ?? 0), count };
  const { train, test } = holdOut(all, TEST_FRACTION, shuffledIndices(count, seed + 1));
  return { name, inputShape: [featureColumns.length], numClasses: classNames.length, classNames, train, test };
}

export async function loadCsvDataset(spec: { csv: string; label: string }, context: DatasetContext): Promise<Dataset> {
  const path = resolveWorkspaceFile(spec.csv, context.baseDir, context.workspaceRoot, 'training.dataset.csv');
  if (typeof spec.label !== 'string' || spec.label === '') {
    throw new Error('training.dataset.label: name the CSV column that holds the class, e.g. "label": "species"');
  }
  return parseCsvLines(textLines(path, spec.csv), spec.label, spec.csv, context.seed);
}
