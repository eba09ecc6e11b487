/**
 * The panel's Evaluate tab: for the picked run, its test loss and accuracy, the confusion matrix as a heat
 * map (a click on a cell shows that cell's samples, asked of the host), the per-class table, a gallery of
 * the wrong and the correct samples, and the `model.summary()` table of the schema it was trained from
 * (docs/webview.md). The views themselves are webview/evaluation/*.
 */
import type { EvaluationSample } from '../../src/shared/evaluation';
import type { RunModelView } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { renderClassTable } from '../evaluation/classTable';
import { formatPercent } from '../evaluation/classRows';
import { renderConfusionMatrix } from '../evaluation/confusionMatrix';
import { renderGallery } from '../evaluation/gallery';
import { formatCount } from '../evaluation/summaryRows';
import { renderSummaryTable } from '../evaluation/summaryTable';

/** "Test accuracy 97.4% · loss 0.0812 · 1,000 samples · macro F1 97.3%". */
export function evaluationHeadline(evaluation: NonNullable<RunModelView['evaluation']>): string {
  const parts = [`Test accuracy ${formatPercent(evaluation.accuracy)}`];
  if (evaluation.loss !== null) parts.push(`loss ${evaluation.loss.toFixed(4)}`);
  parts.push(`${formatCount(evaluation.samples)} samples`);
  if (evaluation.macro.f1 !== null) parts.push(`macro F1 ${formatPercent(evaluation.macro.f1)}`);
  return parts.join(' · ');
}

function section(title: string, ...children: HTMLElement[]): HTMLElement {
  const s = el('section', 'model-section');
  s.append(el('h3', '', title), ...children);
  return s;
}

export class EvaluateView {
  private readonly body = el('div', 'evaluate-body');
  private readonly cellBox = el('div', 'cell-samples');
  private view: RunModelView | null = null;

  constructor(
    readonly root: HTMLElement,
    private readonly askCell: (runId: string, cell: string) => void,
  ) {
    root.appendChild(this.body);
  }

  /** The run's view, or a message in its place (loading, no run, an error). */
  show(view: RunModelView | null, message = ''): void {
    this.view = view;
    this.cellBox.replaceChildren();
    if (!view) {
      this.body.replaceChildren(el('p', 'model-message', message));
      return;
    }
    const evaluation = view.evaluation;
    const parts: HTMLElement[] = [];
    if (!evaluation) {
      parts.push(
        el(
          'p',
          'model-message',
          'This run has no evaluation (it had no test samples, or was trained before evaluations).',
        ),
      );
    } else {
      parts.push(el('p', 'evaluation-headline', evaluationHeadline(evaluation)));
      const matrix = renderConfusionMatrix(evaluation, (cell) => {
        this.cellBox.replaceChildren(
          el('p', 'model-message', `Loading the samples of ${cellTitle(evaluation.classes, cell)}…`),
        );
        this.askCell(view.runId, cell);
      });
      parts.push(section('Confusion matrix', matrix, this.cellBox));
      parts.push(section('Per class', renderClassTable(evaluation.per_class)));
      const wrong = evaluation.examples.filter((s) => s.prediction !== s.label);
      const right = evaluation.examples.filter((s) => s.prediction === s.label);
      const gallery = (samples: EvaluationSample[], cls: string, empty: string): HTMLElement => {
        const g = samples.length > 0 ? renderGallery(samples, evaluation.classes) : el('p', 'model-message', empty);
        g.classList.add(cls);
        return g;
      };
      parts.push(
        section(
          'Samples',
          el('h4', '', `Wrong (${String(wrong.length)}), most confident first`),
          gallery(wrong, 'wrong-samples', 'No test sample was misclassified.'),
          el('h4', '', `Correct (${String(right.length)})`),
          gallery(right, 'correct-samples', 'No correct sample to show.'),
        ),
      );
    }
    if (view.summary) parts.push(section('Model summary', renderSummaryTable(view.summary)));
    this.body.replaceChildren(...parts);
  }

  /** The samples of a clicked cell (ignored if the run changed meanwhile). */
  showCell(runId: string, cell: string, samples: EvaluationSample[], error?: string): void {
    const evaluation = this.view?.evaluation;
    if (this.view?.runId !== runId || !evaluation) return;
    const title = el('h4', '', `${cellTitle(evaluation.classes, cell)}: ${String(samples.length)} shown`);
    if (error) {
      this.cellBox.replaceChildren(el('p', 'model-error', error));
      return;
    }
    this.cellBox.replaceChildren(title, renderGallery(samples, evaluation.classes));
    this.cellBox.dataset.cell = cell;
  }
}

/** "true 3, predicted 5". */
export function cellTitle(classes: readonly string[], cell: string): string {
  const [t, p] = cell.split(',').map(Number);
  return `true ${classes[t] ?? String(t)}, predicted ${classes[p] ?? String(p)}`;
}
