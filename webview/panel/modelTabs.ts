/**
 * The Evaluate and Test tabs share one picked run (a picker at the top of each): picking a run, a `focus`
 * from a command, or a reload asks the host for its `model` once, and both tabs are drawn from the answer.
 * The picked run is part of the panel's webview state (panelApp.ts), so it comes back after a reload.
 */
import type { RunSummary } from '../../src/shared/protocol';
import type { PanelHostMessage } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { EvaluateView } from './evaluateTab';
import { modelRuns, renderRunPicker } from './runPicker';
import { TestView, type TestCallbacks } from './testTab';

export interface ModelTabsCallbacks extends TestCallbacks {
  load(runId: string): void;
  cell(runId: string, cell: string): void;
  /** The picked run changed (to save it in the webview state). */
  picked(runId: string): void;
}

export class ModelTabs {
  private runs: RunSummary[] = [];
  /** The run whose view the tabs show (null while loading, or after an error). */
  private shown: string | null = null;
  private readonly evaluatePicker = el('div', 'model-toolbar');
  private readonly testPicker = el('div', 'model-toolbar');
  readonly evaluate: EvaluateView;
  readonly test: TestView;

  constructor(
    evaluatePanel: HTMLElement,
    testPanel: HTMLElement,
    private selected: string | null,
    private readonly callbacks: ModelTabsCallbacks,
  ) {
    evaluatePanel.classList.add('model-tab');
    testPanel.classList.add('model-tab');
    evaluatePanel.appendChild(this.evaluatePicker);
    testPanel.appendChild(this.testPicker);
    this.evaluate = new EvaluateView(evaluatePanel.appendChild(el('div', 'evaluate')), (runId, cell) => {
      callbacks.cell(runId, cell);
    });
    this.test = new TestView(testPanel.appendChild(el('div', 'test')), callbacks);
    this.drawPickers();
    if (selected) this.select(selected);
    else this.showMessage('Train a model to evaluate and test it here.');
  }

  get runId(): string | null {
    return this.selected;
  }

  setRuns(runs: RunSummary[]): void {
    this.runs = runs;
    const newest = modelRuns(runs)[0] as RunSummary | undefined;
    if (!this.selected && newest) return this.select(newest.run_id);
    this.drawPickers();
  }

  /**
   * Shows `runId` in both tabs, asking the host for it; a run already shown stays as it is (a command that
   * opens the other tab on the same run must not wipe a drawing or a clicked cell).
   */
  select(runId: string): void {
    if (runId === this.selected && this.shown === runId) return;
    this.selected = runId;
    this.shown = null;
    this.callbacks.picked(runId);
    this.drawPickers();
    this.showMessage('Loading the run…');
    this.callbacks.load(runId);
  }

  onModel(message: Extract<PanelHostMessage, { type: 'model' }>): void {
    if (message.runId !== this.selected) return;
    this.shown = message.view ? message.runId : null;
    const error = message.error ?? 'The run could not be read.';
    this.evaluate.show(message.view, error);
    this.test.show(message.view, error);
  }

  private showMessage(text: string): void {
    this.evaluate.show(null, text);
    this.test.show(null, text);
  }

  private drawPickers(): void {
    const pick = (runId: string): void => {
      if (runId !== this.selected) this.select(runId);
    };
    this.evaluatePicker.replaceChildren(renderRunPicker(this.runs, this.selected, pick));
    this.testPicker.replaceChildren(renderRunPicker(this.runs, this.selected, pick));
  }
}
