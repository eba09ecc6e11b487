/**
 * The visual editor's page: a toolbar (./toolbar.ts) above a graph canvas that takes the whole area, with
 * the palette and the inspector as collapsible panels floating over its edges (./editorLayout.ts). It keeps
 * no copy of the schema beyond the last snapshot: UI actions go to the host as intents, and what the
 * document then says is redrawn. The view, the selection and which panels are open survive reloads
 * through the webview state (./editorState.ts).
 */
import type {
  DocumentSnapshot,
  EditIntent,
  EditorHostMessage,
  EditorWebviewMessage,
} from '../../src/shared/webviewProtocol';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { el } from '../dom';
import { EditorLayout } from './editorLayout';
import { defaultPanels, type EditorState } from './editorState';
import { EmptyState } from './emptyState';
import { INPUT_NODE_ID, autoLayout, buildGraphModel } from './graphModel';
import { Inspector } from './inspector';
import { LayerAdder } from './layerAdder';
import { renderPalette } from './palette';
import { SummarySection } from './summarySection';
import { EditorToolbar, type ToolbarActions } from './toolbar';

export function startEditor(app: HTMLElement): void {
  new EditorPage(app).start();
}

class EditorPage {
  private readonly host = hostChannel<EditorHostMessage, EditorWebviewMessage, EditorState>();
  private readonly saved = this.host.getState() ?? {};
  private readonly layout: EditorLayout;
  private readonly toolbar: EditorToolbar;
  private readonly inspector: Inspector;
  private readonly summary: SummarySection;
  private readonly adder: LayerAdder;
  private readonly emptyState: EmptyState;
  private readonly inspectorForm = el('div', 'inspector-form');
  private readonly banner = el('div', 'banner');
  /** The last snapshot the host sent (undefined until the first). */
  private snapshot: DocumentSnapshot | undefined;
  private summaryOpen = this.saved.summaryOpen ?? false;

  constructor(app: HTMLElement) {
    const emit = (intent: EditIntent) => this.host.post(intent);
    this.layout = new EditorLayout(this.saved.panels ?? defaultPanels(window.innerWidth), {
      intent: emit,
      selectionChanged: (ids) => this.selectionChanged(ids),
      stateChanged: () => this.saveState(),
    });
    this.toolbar = new EditorToolbar(this.toolbarActions());
    this.inspector = new Inspector(this.inspectorForm, emit);
    this.summary = new SummarySection(this.summaryOpen, (open) => {
      this.summaryOpen = open;
      this.saveState();
    });
    this.adder = new LayerAdder(this.layout.canvas, emit);
    this.emptyState = new EmptyState((name) => this.host.post({ type: 'preset/apply', name }));
    this.place(app);
    this.layout.restore(this.saved);
  }

  start(): void {
    this.host.onMessage((message) => {
      switch (message.type) {
        case 'document':
          this.showSnapshot(message);
          break;
        case 'run':
          this.toolbar.showRun(message);
          break;
        case 'presets':
          this.emptyState.setPresets(message.presets);
          break;
        default:
          ignoreUnknown(message, 'message from the extension');
      }
    });
    this.host.post({ type: 'ready' });
  }

  /** Puts the parts on the page: the toolbar above the work area, the banners over the graph. */
  private place(app: HTMLElement): void {
    app.className = 'editor';
    app.append(this.toolbar.element, this.layout.workspace);
    this.layout.inspector.body.append(this.inspectorForm, this.summary.element);
    this.banner.hidden = true;
    this.layout.stage.append(this.banner, this.emptyState.element);
    renderPalette(this.layout.palette.body, (type) => this.adder.add(type, this.layerIds()));
    this.adder.acceptDrops(this.layout.stage, () => this.layerIds());
  }

  private toolbarActions(): ToolbarActions {
    const canvas = this.layout.canvas;
    return {
      command: (command) => this.host.post({ type: 'command', command }),
      zoomBy: (factor) => canvas.zoomBy(factor),
      fit: () => canvas.fit(),
      relayout: () => this.relayout(),
      togglePalette: () => this.layout.palette.toggle(),
      toggleInspector: () => this.layout.inspector.toggle(),
      toggleMinimap: () => this.layout.toggleMinimap(),
    };
  }

  private showSnapshot(next: DocumentSnapshot): void {
    this.snapshot = next;
    document.body.dataset.version = String(next.version);
    this.toolbar.showDocument(next);
    this.banner.hidden = !next.syntaxError;
    this.banner.textContent = next.syntaxError
      ? `The JSON has a syntax error (${next.syntaxError}); the graph shows what could be read. Fix the text to edit here.`
      : '';
    this.emptyState.show(next);
    // A text with a syntax error keeps the last good graph (the user is mid-typing).
    if (!next.syntaxError || !this.layout.canvas.graph) {
      this.layout.showModel(buildGraphModel(next), next.inputShape);
      this.adder.selectAdded(next);
      this.summary.show(next);
    }
    this.inspector.render(next, [...this.layout.canvas.selection]);
  }

  private selectionChanged(ids: string[]): void {
    this.saveState();
    if (this.snapshot) this.inspector.render(this.snapshot, ids);
    if (ids.length === 1 && ids[0] !== INPUT_NODE_ID) this.host.post({ type: 'layer/reveal', id: ids[0] });
  }

  /** Lays the graph out top to bottom and saves the positions in the document (one undo step). */
  private relayout(): void {
    const model = this.layout.canvas.graph;
    if (!model) return;
    const positions = autoLayout(
      model.nodes.map((n) => n.id),
      model.edges,
    );
    positions.delete(INPUT_NODE_ID);
    this.host.post({ type: 'layout/set', positions: Object.fromEntries(positions) });
  }

  private layerIds(): string[] {
    return this.snapshot?.layers.map((l) => l.id) ?? [];
  }

  private saveState(): void {
    this.host.setState({ ...this.layout.state, summaryOpen: this.summaryOpen });
  }
}
