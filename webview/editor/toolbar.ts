/**
 * The visual editor's header: the model's name, its layer / parameter / problem counts, the current run
 * (message, progress, Cancel), Train, and the tool buttons (zoom, layout, panels, other views). It draws
 * what the snapshot and the run badge say and turns clicks into the actions the page gives it.
 */
import type { DocumentSnapshot, PanelCommand, RunBadge } from '../../src/shared/webviewProtocol';
import { button, el } from '../dom';
import { formatCount } from './graphModel';

/** What the tool buttons do; the page wires them to the canvas, the panels and the host. */
export interface ToolbarActions {
  command(command: PanelCommand): void;
  zoomBy(factor: number): void;
  fit(): void;
  relayout(): void;
  togglePalette(): void;
  toggleInspector(): void;
  toggleMinimap(): void;
}

function toolButton(icon: string, label: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-toolbar-button');
  b.setAttribute('icon', icon);
  b.setAttribute('label', label);
  b.setAttribute('title', label);
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function toolButtons(actions: ToolbarActions): HTMLElement {
  const tools = el('div', 'tools');
  tools.append(
    toolButton('zoom-out', 'Zoom out', () => actions.zoomBy(1 / 1.25)),
    toolButton('zoom-in', 'Zoom in', () => actions.zoomBy(1.25)),
    toolButton('screen-full', 'Fit view', () => actions.fit()),
    toolButton('type-hierarchy-sub', 'Auto-layout (saves positions)', () => actions.relayout()),
    toolButton('library', 'Show or hide the layer palette', () => actions.togglePalette()),
    toolButton('layout-sidebar-right', 'Show or hide the inspector', () => actions.toggleInspector()),
    toolButton('map', 'Show or hide the minimap', () => actions.toggleMinimap()),
    toolButton('graph-line', 'Show training metrics', () => actions.command('showMetrics')),
    toolButton('comment-discussion', 'Open chat', () => actions.command('openChat')),
    toolButton('go-to-file', 'Show the JSON text', () => actions.command('showText')),
  );
  return tools;
}

/** The layer, parameter and problem counts shown beside the title. */
function documentCounts(snapshot: DocumentSnapshot, errors: number): HTMLElement[] {
  // With a problem the core's total is 0: count the layers whose shapes it could still infer.
  const partial = snapshot.params === 0 && snapshot.layers.some((l) => l.params === null);
  const params = partial ? snapshot.layers.reduce((n, l) => n + (l.params ?? 0), 0) : snapshot.params;
  const count = el('span', 'count', `${formatCount(params)} params${partial ? ' (valid part)' : ''}`);
  if (partial) count.title = 'The layers whose output shape could be inferred; fix the problems for the total.';
  const counts = [el('span', 'count', `${snapshot.layers.length} layers`), count];
  if (errors) {
    const problems = el('span', 'problem-count', `${errors} problem${errors === 1 ? '' : 's'}`);
    problems.title = snapshot.problems
      .slice(0, 10)
      .map((p) => `${p.path}: ${p.message}`)
      .join('\n');
    counts.push(problems);
  }
  return counts;
}

export class EditorToolbar {
  readonly element = el('header', 'toolbar');
  private readonly title = el('span', 'title');
  private readonly counts = el('span', 'summary');
  private readonly runInfo = el('span', 'run-info');
  private readonly progress = document.createElement('vscode-progress-bar') as HTMLElement & { value: number };
  private readonly trainButton: HTMLElement;
  private readonly cancelButton: HTMLElement;

  constructor(actions: ToolbarActions) {
    this.progress.className = 'run-progress';
    this.progress.hidden = true;
    this.trainButton = button('Train', 'play', () => actions.command('train'), false);
    this.trainButton.id = 'train';
    this.cancelButton = button('Cancel', 'debug-stop', () => actions.command('cancel'));
    this.cancelButton.id = 'cancel';
    this.cancelButton.hidden = true;
    this.element.append(
      this.title,
      this.counts,
      el('span', 'spacer'),
      this.runInfo,
      this.trainButton,
      this.cancelButton,
      toolButtons(actions),
      this.progress,
    );
  }

  /** The name, the counts, and Train enabled only when the schema has no errors. */
  showDocument(snapshot: DocumentSnapshot): void {
    this.title.textContent = snapshot.name || snapshot.fileName;
    const errors = snapshot.problems.filter((p) => p.severity === 'error').length;
    this.counts.replaceChildren(...documentCounts(snapshot, errors));
    this.trainButton.toggleAttribute('disabled', errors > 0);
    this.trainButton.title = errors ? 'Fix the problems first (see the marked nodes)' : 'Train this schema';
  }

  showRun(run: RunBadge): void {
    const active = run.state === 'queued' || run.state === 'running';
    this.cancelButton.hidden = !active;
    this.progress.hidden = !active;
    this.progress.value = Math.round(run.progress * 100);
    this.runInfo.textContent = run.message;
  }
}
