/**
 * The visual editor's page: toolbar, palette, graph canvas with minimap, inspector. It keeps no copy of the
 * schema beyond the last snapshot: UI actions go to the host as intents, and what the document then says
 * is redrawn. The view (pan/zoom) and the selection survive reloads through the webview state.
 */
import type {
  DocumentSnapshot, EditIntent, EditorHostMessage, EditorWebviewMessage, PanelCommand, PresetInfo, RunBadge,
} from '../../src/shared/webviewProtocol';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { button, el } from '../dom';
import { GraphCanvas, type View } from './canvas';
import { INPUT_NODE_ID, autoLayout, buildGraphModel, formatCount, type GraphModel } from './graphModel';
import { Inspector } from './inspector';
import { Minimap } from './minimap';
import { LAYER_DRAG_TYPE, renderPalette } from './palette';

interface EditorState {
  view?: View;
  /** True once the user panned or zoomed: their view is kept instead of refitting the graph. */
  userView?: boolean;
  selection?: string[];
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

export function startEditor(app: HTMLElement): void {
  const host = hostChannel<EditorHostMessage, EditorWebviewMessage, EditorState>();
  const saved = host.getState() ?? {};
  let snapshot: DocumentSnapshot | undefined;
  let model: GraphModel | undefined;
  let presets: PresetInfo[] = [];
  let firstDraw = !saved.userView;

  app.className = 'editor';
  const toolbar = el('header', 'toolbar');
  const title = el('span', 'title');
  const summary = el('span', 'summary');
  const runInfo = el('span', 'run-info');
  const progress = document.createElement('vscode-progress-bar') as HTMLElement & { value: number };
  progress.className = 'run-progress';
  progress.hidden = true;
  const command = (c: PanelCommand) => host.post({ type: 'command', command: c });
  const trainButton = button('Train', 'play', () => command('train'), false);
  trainButton.id = 'train';
  const cancelButton = button('Cancel', 'debug-stop', () => command('cancel'));
  cancelButton.id = 'cancel';
  cancelButton.hidden = true;
  const tools = el('div', 'tools');
  tools.append(
    toolButton('zoom-out', 'Zoom out', () => canvas.zoomBy(1 / 1.25)),
    toolButton('zoom-in', 'Zoom in', () => canvas.zoomBy(1.25)),
    toolButton('screen-full', 'Fit view', () => canvas.fit()),
    toolButton('type-hierarchy-sub', 'Auto-layout (saves positions)', () => relayout()),
    toolButton('graph-line', 'Show training metrics', () => command('showMetrics')),
    toolButton('comment-discussion', 'Open chat', () => command('openChat')),
    toolButton('go-to-file', 'Show the JSON text', () => command('showText')),
  );
  toolbar.append(title, summary, el('span', 'spacer'), runInfo, trainButton, cancelButton, tools, progress);

  const palette = el('aside', 'palette');
  palette.setAttribute('aria-label', 'Layer palette');
  const stage = el('main', 'stage');
  const banner = el('div', 'banner');
  banner.hidden = true;
  const emptyState = el('div', 'empty-state');
  emptyState.hidden = true;
  const inspectorHost = el('aside', 'inspector');
  inspectorHost.setAttribute('aria-label', 'Inspector');
  app.append(toolbar, palette, stage, inspectorHost);

  const emit = (intent: EditIntent) => host.post(intent);
  const inspector = new Inspector(inspectorHost, emit);
  let minimap: Minimap | undefined;
  const canvas = new GraphCanvas(stage, {
    intent: emit,
    selectionChanged: (ids) => {
      saveState();
      if (snapshot) inspector.render(snapshot, ids);
    },
    viewChanged: (_view, byUser) => {
      // Until the user pans or zooms, the graph is refitted as the editor is resized.
      if (byUser) userView = true;
      minimap?.draw();
      saveState();
    },
  });
  minimap = new Minimap(stage, canvas);
  stage.append(banner, emptyState);
  let userView = !!saved.userView;
  if (saved.view) canvas.setView(saved.view, userView);
  if (saved.selection) canvas.selection = new Set(saved.selection);

  function saveState(): void {
    host.setState({ view: canvas.view, userView, selection: [...canvas.selection] });
  }

  const addLayer = (layerType: string, position?: { x: number; y: number }) => {
    const selected = [...canvas.selection].filter((id) => id !== INPUT_NODE_ID);
    emit({ type: 'layer/add', layerType, afterId: selected.at(-1), position });
  };
  renderPalette(palette, addLayer);
  stage.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes(LAYER_DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  });
  stage.addEventListener('drop', (e) => {
    const type = e.dataTransfer?.getData(LAYER_DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    const p = canvas.toGraph(e.clientX, e.clientY);
    addLayer(type, { x: p.x - 94, y: p.y - 32 });
  });

  function relayout(): void {
    if (!model) return;
    const layers = model.nodes.map((n) => n.id);
    const positions = autoLayout(layers, model.edges);
    positions.delete(INPUT_NODE_ID);
    emit({ type: 'layout/set', positions: Object.fromEntries(positions) });
  }

  function showSnapshot(next: DocumentSnapshot): void {
    snapshot = next;
    document.body.dataset.version = String(next.version);
    title.textContent = next.name || next.fileName;
    const errors = next.problems.filter((p) => p.severity === 'error').length;
    summary.replaceChildren();
    summary.append(el('span', 'count', `${next.layers.length} layers`), el('span', 'count', `${formatCount(next.params)} params`));
    if (errors) {
      const problems = el('span', 'problem-count', `${errors} problem${errors === 1 ? '' : 's'}`);
      problems.title = next.problems.slice(0, 10).map((p) => `${p.path}: ${p.message}`).join('\n');
      summary.append(problems);
    }
    trainButton.toggleAttribute('disabled', errors > 0);
    trainButton.title = errors ? 'Fix the problems first (see the marked nodes)' : 'Train this schema';
    banner.hidden = !next.syntaxError;
    banner.textContent = next.syntaxError ? `The JSON has a syntax error (${next.syntaxError}); the graph shows what could be read. Fix the text to edit here.` : '';
    renderEmptyState();
    // A text with a syntax error keeps the last good graph (the user is mid-typing).
    if (!next.syntaxError || !model) {
      model = buildGraphModel(next);
      canvas.setModel(model);
      canvas.setInputShape(next.inputShape);
      minimap?.setModel(model);
      if (firstDraw && model.nodes.length > 0) {
        firstDraw = false;
        requestAnimationFrame(() => canvas.fit());
      }
    }
    inspector.render(next, [...canvas.selection]);
  }

  function renderEmptyState(): void {
    const show = !!snapshot && (snapshot.empty || snapshot.layers.length === 0);
    emptyState.hidden = !show;
    if (!show) return;
    emptyState.replaceChildren(el('h2', '', 'Start from a preset'),
      el('p', '', 'Or click a layer in the palette to start from an empty model (MNIST input).'));
    const list = el('div', 'presets');
    for (const p of presets) {
      const b = button(p.name, 'file-code', () => host.post({ type: 'preset/apply', name: p.name }));
      b.title = p.description;
      list.appendChild(b);
    }
    emptyState.appendChild(list);
  }

  function showRun(run: RunBadge): void {
    const active = run.state === 'queued' || run.state === 'running';
    cancelButton.hidden = !active;
    progress.hidden = !active;
    progress.value = Math.round(run.progress * 100);
    runInfo.textContent = run.message;
  }

  host.onMessage((message) => {
    switch (message.type) {
      case 'document':
        showSnapshot(message);
        break;
      case 'run':
        showRun(message);
        break;
      case 'presets':
        presets = message.presets;
        renderEmptyState();
        break;
      default:
        ignoreUnknown(message, 'message from the extension');
    }
  });
  // Until the user pans or zooms, keep the whole graph in view as the editor is resized (its first
  // layout may happen while the tab is still hidden, at size 0).
  new ResizeObserver(() => {
    if (!userView && stage.clientWidth > 0 && model) canvas.fit();
    minimap?.draw();
  }).observe(stage);
  host.post({ type: 'ready' });
}
