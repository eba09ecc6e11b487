/**
 * The panel's Test tab: for the picked run, an input made for its model (a drawing pad for 28×28 grey
 * images, the decision boundary with click-to-predict for two inputs, a form for other flat inputs), the
 * prediction as probability bars, updated live as you draw, and what each conv / pool / dense layer makes of
 * the input (feature map grids and heat strips). Predictions go through the host (`test/predict`), one at a
 * time, the latest input winning (./latest.ts). The views themselves are webview/testing/* (docs/webview.md).
 */
import type { PanelHostMessage, RunModelView } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { renderActivation, repaintActivation } from '../testing/activationView';
import { boundaryRaster, gridPoints, planeAround, type Plane } from '../testing/boundary';
import { renderDecisionBoundary } from '../testing/decisionBoundary';
import { createDrawingPad } from '../testing/drawingPad';
import { renderProbabilityBars } from '../testing/probabilityBars';
import { renderTabularForm } from '../testing/tabularForm';
import { LatestOnly } from './latest';

/** The decision boundary's grid: 48 × 48 = 2,304 points, one batch (the server takes up to 10,000). */
export const BOUNDARY_GRID = 48;

export interface TestCallbacks {
  predict(requestId: number, runId: string, input: number[], image: boolean, activations: string[]): void;
  boundary(requestId: number, runId: string, points: number[][]): void;
}

type Result = Extract<PanelHostMessage, { type: 'test/result' }>;
type BoundaryAnswer = Extract<PanelHostMessage, { type: 'test/boundary' }>;

export class TestView {
  private readonly body = el('div', 'test-body');
  private readonly result = el('div', 'test-result');
  private readonly activations = el('div', 'activations');
  private readonly inputBox = el('div', 'test-input');
  private view: RunModelView | null = null;
  private plane: Plane | null = null;
  private boundaryRequest = 0;
  private readonly predictions: LatestOnly<number[]>;

  constructor(
    readonly root: HTMLElement,
    private readonly callbacks: TestCallbacks,
  ) {
    root.appendChild(this.body);
    this.predictions = new LatestOnly((requestId, input) => {
      if (!this.view) return;
      const ids = this.view.layers.map((l) => l.id);
      callbacks.predict(requestId, this.view.runId, input, this.view.input === 'drawing', ids);
    });
  }

  show(view: RunModelView | null, message = ''): void {
    this.view = view;
    this.predictions.reset();
    this.clearResult(view ? hint(view) : '');
    if (!view) {
      this.body.replaceChildren(el('p', 'model-message', message));
      return;
    }
    this.inputBox.replaceChildren(this.inputFor(view));
    const output = el('div', 'test-output');
    output.append(this.result, this.activations);
    const columns = el('div', 'test-columns');
    columns.append(this.inputBox, output);
    this.body.replaceChildren(columns);
  }

  onResult(message: Result): void {
    const view = this.view;
    if (view?.runId !== message.runId || !this.predictions.answer(message.requestId)) return;
    const state = this.predictions.busy ? 'pending' : 'done';
    if (message.error || !message.probabilities) {
      this.result.dataset.state = state === 'done' ? 'error' : state;
      this.result.replaceChildren(el('p', 'model-error', message.error ?? 'No prediction.'));
      return;
    }
    const probabilities = message.probabilities;
    const best = probabilities.indexOf(Math.max(...probabilities));
    const name = view.classes[best] ?? String(best);
    const label = el('div', 'test-prediction', name);
    label.dataset.label = name;
    label.setAttribute('aria-live', 'polite');
    label.title = `Predicted class: ${name}`;
    this.result.dataset.state = state;
    this.result.replaceChildren(label, renderProbabilityBars(probabilities, view.classes));
    this.showActivations(message.activations);
  }

  onBoundary(message: BoundaryAnswer): void {
    const view = this.view;
    const plane = this.plane;
    if (!view || !plane || message.runId !== view.runId || message.requestId !== this.boundaryRequest) return;
    if (message.error || !message.probabilities) {
      this.inputBox.replaceChildren(el('p', 'model-error', message.error ?? 'No decision boundary.'));
      return;
    }
    const raster = boundaryRaster(message.probabilities.flat(), view.classes.length, BOUNDARY_GRID, BOUNDARY_GRID);
    const canvas = renderDecisionBoundary(plane, raster, view.points, (point) => {
      this.predictions.push(point);
      this.result.dataset.state = 'pending';
    });
    this.inputBox.replaceChildren(canvas, el('p', 'model-message', 'Click the plane to predict a point.'));
  }

  private inputFor(view: RunModelView): HTMLElement {
    const send = (input: number[]): void => {
      this.predictions.push(input);
      this.result.dataset.state = 'pending';
    };
    switch (view.input) {
      case 'drawing':
        return createDrawingPad((field) => {
          if (field.every((v) => v === 0)) {
            this.predictions.reset();
            return this.clearResult(hint(view));
          }
          send(Array.from(field));
        });
      case 'form': {
        const first = view.evaluation?.examples.find((s) => s.features?.length === view.featureNames.length);
        return renderTabularForm(view.featureNames, send, first?.features ?? []);
      }
      case 'points': {
        this.plane = planeAround(view.points.map((p) => [p.x, p.y]));
        this.boundaryRequest++;
        this.callbacks.boundary(this.boundaryRequest, view.runId, gridPoints(this.plane, BOUNDARY_GRID, BOUNDARY_GRID));
        return el('p', 'model-message', 'Drawing the decision boundary…');
      }
      case 'none':
        return el(
          'p',
          'model-message',
          `No test input for a model of input shape [${view.inputShape.join(', ')}]: the pad takes 28×28×1 images, the form flat inputs.`,
        );
    }
  }

  /** Each layer's figure is repainted in place while its shape stays (see `repaintActivation`). */
  private showActivations(activations: Result['activations']): void {
    const figures = new Map<string, HTMLElement>();
    for (const figure of this.activations.querySelectorAll<HTMLElement>('figure.activation'))
      figures.set(figure.dataset.layer ?? '', figure);
    const next = activations.map((activation) => {
      const figure = figures.get(activation.id);
      return figure && repaintActivation(figure, activation) ? figure : renderActivation(activation);
    });
    const heading = this.activations.querySelector('h3') ?? el('h3', '', 'Inside the network');
    this.activations.replaceChildren(...(next.length > 0 ? [heading] : []), ...next);
  }

  private clearResult(text: string): void {
    this.result.dataset.state = 'idle';
    this.result.replaceChildren(el('p', 'model-message', text));
    this.activations.replaceChildren();
  }
}

function hint(view: RunModelView): string {
  if (view.input === 'drawing') return 'Draw a digit: the prediction follows your pen.';
  if (view.input === 'form') return 'Enter the features and press Predict.';
  if (view.input === 'points') return 'Click the plane to predict a point.';
  return '';
}
