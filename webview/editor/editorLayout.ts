/**
 * The editor's work area: the graph canvas on a stage that takes the whole area, the palette and the
 * inspector as side panels floating over its left and right edges, and the minimap. It keeps the graph
 * fitted into the part the open panels leave free until the user pans or zooms (their view is kept then).
 */
import type { EditIntent } from '../../src/shared/webviewProtocol';
import { el } from '../dom';
import { GraphCanvas } from './canvas';
import type { EditorState, OpenPanels } from './editorState';
import type { GraphModel } from './graphModel';
import { Minimap } from './minimap';
import { SidePanel } from './sidePanel';

export interface LayoutEvents {
  intent(intent: EditIntent): void;
  selectionChanged(ids: string[]): void;
  /** The view, the selection or an open panel changed: the page saves its state. */
  stateChanged(): void;
}

export class EditorLayout {
  readonly workspace = el('div', 'workspace');
  readonly stage = el('main', 'stage');
  readonly palette: SidePanel;
  readonly inspector: SidePanel;
  readonly canvas: GraphCanvas;
  private readonly minimap: Minimap;
  /** True once the user panned or zoomed. */
  private userView = false;
  /** True until the first graph with nodes is drawn (and fitted, unless the user's view was restored). */
  private firstDraw = true;

  constructor(
    private readonly open: OpenPanels,
    private readonly events: LayoutEvents,
  ) {
    this.workspace.appendChild(this.stage);
    const panelsChanged = () => this.panelsChanged();
    this.palette = new SidePanel(this.workspace, 'palette', 'Layers', 'left', open.palette, panelsChanged);
    this.inspector = new SidePanel(this.workspace, 'inspector', 'Inspector', 'right', open.inspector, panelsChanged);
    this.canvas = new GraphCanvas(this.stage, {
      intent: (intent) => events.intent(intent),
      selectionChanged: (ids) => events.selectionChanged(ids),
      viewChanged: (_view, byUser) => this.viewChanged(byUser),
    });
    this.minimap = new Minimap(this.stage, this.canvas);
    this.minimap.enabled = open.minimap;
    // Until the user pans or zooms, keep the whole graph in view as the editor is resized (its first
    // layout may happen while the tab is still hidden, at size 0).
    new ResizeObserver(() => {
      if (this.stage.clientWidth > 0) this.updateInsets();
    }).observe(this.stage);
  }

  /** The view and the selection the webview state kept from before a reload. */
  restore(saved: EditorState): void {
    this.userView = !!saved.userView;
    this.firstDraw = !saved.userView;
    if (saved.view) this.canvas.setView(saved.view, this.userView);
    if (saved.selection) this.canvas.selection = new Set(saved.selection);
  }

  /** What the webview state keeps of the layout. */
  get state(): EditorState {
    return {
      view: this.canvas.view,
      userView: this.userView,
      selection: [...this.canvas.selection],
      panels: this.open,
    };
  }

  /** Draws a new graph; the first one with nodes is fitted into view once the panels have their size. */
  showModel(model: GraphModel, inputShape: number[] | null): void {
    this.canvas.setModel(model);
    this.canvas.setInputShape(inputShape);
    this.minimap.setModel(model);
    if (this.firstDraw && model.nodes.length > 0) {
      this.firstDraw = false;
      requestAnimationFrame(() => {
        this.updateInsets();
        this.canvas.fit(true);
      });
    }
  }

  toggleMinimap(): void {
    this.open.minimap = !this.open.minimap;
    this.minimap.enabled = this.open.minimap;
    this.minimap.draw();
    this.events.stateChanged();
  }

  private viewChanged(byUser: boolean): void {
    // Until the user pans or zooms, the graph is refitted as the editor is resized.
    if (byUser) this.userView = true;
    this.minimap.draw();
    this.events.stateChanged();
  }

  private panelsChanged(): void {
    this.open.palette = this.palette.open;
    this.open.inspector = this.inspector.open;
    this.updateInsets();
    this.events.stateChanged();
  }

  /** The canvas keeps fitted graphs and revealed nodes out from under the open panels. */
  private updateInsets(): void {
    const gap = 8;
    this.canvas.insets = {
      left: this.palette.open ? this.palette.element.offsetWidth + gap : 0,
      right: this.inspector.open ? this.inspector.element.offsetWidth + gap : 0,
      top: 0,
      bottom: 0,
    };
    if (!this.userView && this.canvas.graph) this.canvas.fit(true);
    const docked = this.palette.open ? this.palette.element : this.inspector.open ? this.inspector.element : undefined;
    this.minimap.dock(docked);
  }
}
