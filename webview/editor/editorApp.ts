/**
 * The visual editor's page: a toolbar above a graph canvas that takes the whole area, with the palette and
 * the inspector as collapsible panels floating over its left and right edges (the canvas fits the graph
 * into the part they leave free) and a hideable minimap. It keeps no copy of the schema beyond the last
 * snapshot: UI actions go to the host as intents, and what the document then says is redrawn. The view
 * (pan/zoom), the selection and which panels are open survive reloads through the webview state.
 */
import type {
  DocumentSnapshot,
  EditIntent,
  EditorHostMessage,
  EditorWebviewMessage,
  PanelCommand,
  PresetInfo,
  RunBadge,
} from '../../src/shared/webviewProtocol';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { button, el } from '../dom';
import { GraphCanvas, type View } from './canvas';
import { SidePanel } from './sidePanel';
import { INPUT_NODE_ID, autoLayout, buildGraphModel, formatCount, type GraphModel } from './graphModel';
import { Inspector } from './inspector';
import { Minimap } from './minimap';
import { LAYER_DRAG_TYPE, renderPalette } from './palette';

interface EditorState {
  view?: View;
  /** True once the user panned or zoomed: their view is kept instead of refitting the graph. */
  userView?: boolean;
  selection?: string[];
  /** Which panels are open; absent until the user toggles one (the defaults then follow the width). */
  panels?: { palette: boolean; inspector: boolean; minimap: boolean };
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
  // Without a saved choice, a narrow editor (beside the text) starts with the inspector closed.
  const panels = saved.panels ?? { palette: true, inspector: window.innerWidth >= 900, minimap: true };
  tools.append(
    toolButton('zoom-out', 'Zoom out', () => canvas.zoomBy(1 / 1.25)),
    toolButton('zoom-in', 'Zoom in', () => canvas.zoomBy(1.25)),
    toolButton('screen-full', 'Fit view', () => canvas.fit()),
    toolButton('type-hierarchy-sub', 'Auto-layout (saves positions)', () => relayout()),
    toolButton('library', 'Show or hide the layer palette', () => palettePanel.toggle()),
    toolButton('layout-sidebar-right', 'Show or hide the inspector', () => inspectorPanel.toggle()),
    toolButton('map', 'Show or hide the minimap', () => toggleMinimap()),
    toolButton('graph-line', 'Show training metrics', () => command('showMetrics')),
    toolButton('comment-discussion', 'Open chat', () => command('openChat')),
    toolButton('go-to-file', 'Show the JSON text', () => command('showText')),
  );
  toolbar.append(title, summary, el('span', 'spacer'), runInfo, trainButton, cancelButton, tools, progress);

  const workspace = el('div', 'workspace');
  const stage = el('main', 'stage');
  const banner = el('div', 'banner');
  banner.hidden = true;
  const emptyState = el('div', 'empty-state');
  emptyState.hidden = true;
  workspace.appendChild(stage);
  app.append(toolbar, workspace);
  const panelsChanged = () => {
    panels.palette = palettePanel.open;
    panels.inspector = inspectorPanel.open;
    updateInsets();
    saveState();
  };
  const palettePanel = new SidePanel(workspace, 'palette', 'Layers', 'left', panels.palette, panelsChanged);
  const inspectorPanel = new SidePanel(workspace, 'inspector', 'Inspector', 'right', panels.inspector, panelsChanged);

  const emit = (intent: EditIntent) => host.post(intent);
  const inspector = new Inspector(inspectorPanel.body, emit);
  let minimap: Minimap | undefined;
  const canvas = new GraphCanvas(stage, {
    intent: emit,
    selectionChanged: (ids) => {
      saveState();
      if (snapshot) inspector.render(snapshot, ids);
      if (ids.length === 1 && ids[0] !== INPUT_NODE_ID) host.post({ type: 'layer/reveal', id: ids[0] });
    },
    viewChanged: (_view, byUser) => {
      // Until the user pans or zooms, the graph is refitted as the editor is resized.
      if (byUser) userView = true;
      minimap?.draw();
      saveState();
    },
  });
  minimap = new Minimap(stage, canvas);
  minimap.enabled = panels.minimap;
  stage.append(banner, emptyState);
  let userView = !!saved.userView;
  if (saved.view) canvas.setView(saved.view, userView);
  if (saved.selection) canvas.selection = new Set(saved.selection);

  function saveState(): void {
    host.setState({ view: canvas.view, userView, selection: [...canvas.selection], panels });
  }

  function toggleMinimap(): void {
    panels.minimap = !panels.minimap;
    if (minimap) minimap.enabled = panels.minimap;
    minimap?.draw();
    saveState();
  }

  /** The canvas keeps fitted graphs and revealed nodes out from under the open panels. */
  function updateInsets(): void {
    const gap = 8;
    canvas.insets = {
      left: palettePanel.open ? palettePanel.element.offsetWidth + gap : 0,
      right: inspectorPanel.open ? inspectorPanel.element.offsetWidth + gap : 0,
      top: 0,
      bottom: 0,
    };
    if (!userView && model) canvas.fit(true);
    minimap?.dock(palettePanel.open ? palettePanel.element : inspectorPanel.open ? inspectorPanel.element : undefined);
  }

  // A layer added from the palette is selected and scrolled to once the document shows it.
  let pendingAdd: { known: Set<string>; until: number } | undefined;
  const addLayer = (
    layerType: string,
    where: { position?: { x: number; y: number }; intoEdge?: { from: string; to: string } } = {},
  ) => {
    const selected = [...canvas.selection].filter((id) => id !== INPUT_NODE_ID);
    pendingAdd = { known: new Set(snapshot?.layers.map((l) => l.id) ?? []), until: Date.now() + 5000 };
    emit({ type: 'layer/add', layerType, afterId: where.intoEdge ? undefined : selected.at(-1), ...where });
  };
  renderPalette(palettePanel.body, (type) => addLayer(type));
  stage.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes(LAYER_DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      canvas.markDropEdge(canvas.edgeAt(e.clientX, e.clientY));
    }
  });
  stage.addEventListener('dragleave', () => canvas.markDropEdge(undefined));
  stage.addEventListener('drop', (e) => {
    const type = e.dataTransfer?.getData(LAYER_DRAG_TYPE);
    canvas.markDropEdge(undefined);
    if (!type) return;
    e.preventDefault();
    const edge = canvas.edgeAt(e.clientX, e.clientY);
    const p = canvas.toGraph(e.clientX, e.clientY);
    addLayer(type, edge ? { intoEdge: edge } : { position: { x: p.x - 106, y: p.y - 32 } });
  });

  /** Selects and reveals the layer a palette action added, when this snapshot is the one that has it. */
  function selectAdded(next: DocumentSnapshot): void {
    if (!pendingAdd) return;
    const added = next.layers.find((l) => !pendingAdd?.known.has(l.id));
    if (!added && Date.now() < pendingAdd.until) return;
    pendingAdd = undefined;
    if (!added) return;
    canvas.setSelection([added.id]);
    canvas.reveal(added.id);
  }

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
    // With a problem the core's total is 0: count the layers whose shapes it could still infer.
    const partial = next.params === 0 && next.layers.some((l) => l.params === null);
    const params = partial ? next.layers.reduce((n, l) => n + (l.params ?? 0), 0) : next.params;
    const count = el('span', 'count', `${formatCount(params)} params${partial ? ' (valid part)' : ''}`);
    if (partial) count.title = 'The layers whose output shape could be inferred; fix the problems for the total.';
    summary.append(el('span', 'count', `${next.layers.length} layers`), count);
    if (errors) {
      const problems = el('span', 'problem-count', `${errors} problem${errors === 1 ? '' : 's'}`);
      problems.title = next.problems
        .slice(0, 10)
        .map((p) => `${p.path}: ${p.message}`)
        .join('\n');
      summary.append(problems);
    }
    trainButton.toggleAttribute('disabled', errors > 0);
    trainButton.title = errors ? 'Fix the problems first (see the marked nodes)' : 'Train this schema';
    banner.hidden = !next.syntaxError;
    banner.textContent = next.syntaxError
      ? `The JSON has a syntax error (${next.syntaxError}); the graph shows what could be read. Fix the text to edit here.`
      : '';
    renderEmptyState();
    // A text with a syntax error keeps the last good graph (the user is mid-typing).
    if (!next.syntaxError || !model) {
      model = buildGraphModel(next);
      canvas.setModel(model);
      canvas.setInputShape(next.inputShape);
      minimap?.setModel(model);
      if (firstDraw && model.nodes.length > 0) {
        firstDraw = false;
        requestAnimationFrame(() => {
          updateInsets();
          canvas.fit(true);
        });
      }
      selectAdded(next);
    }
    inspector.render(next, [...canvas.selection]);
  }

  function renderEmptyState(): void {
    const show = !!snapshot && (snapshot.empty || snapshot.layers.length === 0);
    emptyState.hidden = !show;
    if (!show) return;
    emptyState.replaceChildren(
      el('h2', '', 'Start from a preset'),
      el('p', '', 'Or click a layer in the palette to start from an empty model (MNIST input).'),
    );
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
    if (stage.clientWidth > 0) updateInsets();
  }).observe(stage);
  host.post({ type: 'ready' });
}
