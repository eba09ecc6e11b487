/**
 * The inspector panel's collapsible "Model summary": the `model.summary()` table (layer and type, output
 * shape, parameters; total, trainable and non-trainable counts) of the schema as it is now, redrawn with
 * every snapshot. Whether it is expanded survives reloads (the page keeps it in the webview state).
 */
import type { DocumentSnapshot } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { renderSummaryTable } from '../evaluation/summaryTable';
import { snapshotSummary } from './snapshotSummary';

export class SummarySection {
  readonly element = el('details', 'model-summary');
  private readonly body = el('div', 'model-summary-body');

  constructor(open: boolean, toggled: (open: boolean) => void) {
    this.element.open = open;
    const title = el('summary', '', 'Model summary');
    title.title = 'What model.summary() prints for this schema: each layer, its output shape and parameters.';
    this.element.append(title, this.body);
    this.element.addEventListener('toggle', () => toggled(this.element.open));
  }

  show(snapshot: DocumentSnapshot): void {
    if (snapshot.layers.length === 0) {
      this.body.replaceChildren(el('p', 'hint', 'No layers yet.'));
      return;
    }
    const { table, partial } = snapshotSummary(snapshot);
    const parts: HTMLElement[] = [renderSummaryTable(table)];
    if (partial)
      parts.push(
        el(
          'p',
          'hint',
          'A ? shape marks a layer with a problem: the totals count only the layers whose shape is known.',
        ),
      );
    this.body.replaceChildren(...parts);
  }
}
