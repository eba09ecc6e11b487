/**
 * The graph canvas: an SVG of nodes and edges with pan (drag the background), zoom (wheel, buttons), select
 * (click, Shift/Ctrl+click, Shift+drag a box), move (drag nodes), connect (drag from a node's bottom port
 * onto another node), disconnect (drag an input off its top port, or select an edge and press Delete), and
 * keyboard control (Tab between nodes, arrows move, Delete, Ctrl+D duplicate). It never edits data itself:
 * every change goes out as an intent, and the next snapshot redraws it.
 */
import type { EditIntent } from '../../src/shared/webviewProtocol';
import {
  INPUT_NODE_ID,
  NODE_HEIGHT,
  NODE_WIDTH,
  edgePath,
  formatCount,
  formatShape,
  graphBounds,
  keyParams,
  layerPositions,
  type GraphModel,
  type GraphNode,
  type Point,
} from './graphModel';

const SVG = 'http://www.w3.org/2000/svg';

export interface View {
  x: number;
  y: number;
  k: number;
}

export interface CanvasEvents {
  intent(intent: EditIntent): void;
  selectionChanged(ids: string[]): void;
  /** `byUser`: a pan or zoom by the user, as opposed to fitting the graph to the canvas. */
  viewChanged(view: View, byUser: boolean): void;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  parent?: Element,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  parent?.appendChild(el);
  return el;
}

/** The smallest node text (webview.css: 13 px) stays at least 11 px on screen at this zoom. */
export const READABLE_ZOOM = 11 / 13;

/** Screen space along the canvas's edges that floating panels cover (the palette, the inspector). */
export interface Insets {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export class GraphCanvas {
  readonly root: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  private readonly overlay: SVGGElement;
  private model: GraphModel | undefined;
  private nodeEls = new Map<string, SVGGElement>();
  private edgeEls: { el: SVGPathElement; hit: SVGPathElement; from: string; to: string }[] = [];
  selection = new Set<string>();
  private selectedEdge: { from: string; to: string } | undefined;
  view: View = { x: 40, y: 40, k: 1 };
  /** Updated by the page as panels open and close; fit() and reveal() keep nodes out from under them. */
  insets: Insets = { left: 0, right: 0, top: 0, bottom: 0 };

  constructor(
    host: HTMLElement,
    private readonly events: CanvasEvents,
  ) {
    this.root = svg('svg', { class: 'graph', tabindex: 0, role: 'group', 'aria-label': 'Architecture graph' });
    const defs = svg('defs', {}, this.root);
    const marker = svg(
      'marker',
      {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      defs,
    );
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }, marker);
    this.viewport = svg('g', { class: 'viewport' }, this.root);
    this.edgeLayer = svg('g', { class: 'edges' }, this.viewport);
    this.nodeLayer = svg('g', { class: 'nodes' }, this.viewport);
    this.overlay = svg('g', { class: 'overlay' }, this.viewport);
    host.appendChild(this.root);
    this.root.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.root.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.root.addEventListener('keydown', (e) => this.onKey(e));
    this.applyView(false);
  }

  get graph(): GraphModel | undefined {
    return this.model;
  }

  setModel(model: GraphModel): void {
    this.model = model;
    for (const id of [...this.selection]) if (!model.byId.has(id)) this.selection.delete(id);
    this.renderNodes();
    this.renderEdges();
  }

  setSelection(ids: Iterable<string>, notify = true): void {
    this.selection = new Set(ids);
    this.selectedEdge = undefined;
    for (const [id, el] of this.nodeEls) el.classList.toggle('selected', this.selection.has(id));
    this.renderEdges();
    if (notify) this.events.selectionChanged([...this.selection]);
  }

  // ---- view -------------------------------------------------------------------------------------------

  setView(view: View, byUser = true): void {
    this.view = { x: view.x, y: view.y, k: Math.min(2.5, Math.max(0.1, view.k)) };
    this.applyView(true, byUser);
  }

  zoomBy(factor: number, at?: Point): void {
    const rect = this.root.getBoundingClientRect();
    const cx = at?.x ?? rect.width / 2,
      cy = at?.y ?? rect.height / 2;
    const k = Math.min(2.5, Math.max(0.1, this.view.k * factor));
    const gx = (cx - this.view.x) / this.view.k,
      gy = (cy - this.view.y) / this.view.k;
    this.setView({ k, x: cx - gx * k, y: cy - gy * k });
  }

  /** The part of the canvas no panel covers, in canvas pixels. */
  visibleRect(): { x: number; y: number; width: number; height: number } {
    const rect = this.root.getBoundingClientRect();
    const { left, right, top, bottom } = this.insets;
    return {
      x: left,
      y: top,
      width: Math.max(1, rect.width - left - right),
      height: Math.max(1, rect.height - top - bottom),
    };
  }

  /**
   * Shows the whole graph, centred in the part of the canvas no panel covers, as large as fits (at most
   * 1.2). `readable` (the automatic fit on open and resize) never goes below the zoom at which node text
   * is 11 px: a graph too tall for that starts at the top, and the rest is a pan or the minimap away. The
   * Fit button fits whatever it takes.
   */
  fit(readable = false): void {
    if (!this.model) return;
    const b = graphBounds(this.model.nodes);
    const area = this.visibleRect();
    const pad = 24;
    const byWidth = (area.width - 2 * pad) / b.width;
    const byHeight = (area.height - 2 * pad) / b.height;
    const fits = Math.min(1.2, byWidth, byHeight);
    const k = Math.max(0.1, readable ? Math.max(fits, Math.min(READABLE_ZOOM, byWidth)) : fits);
    const y =
      b.height * k <= area.height - 2 * pad
        ? area.y + (area.height - b.height * k) / 2 - b.y * k
        : area.y + pad - b.y * k;
    this.setView({ k, x: area.x + (area.width - b.width * k) / 2 - b.x * k, y }, false);
  }

  /** Pans (keeping the zoom) so that node `id` is in the visible part of the canvas, if it is not already. */
  reveal(id: string): void {
    const n = this.model?.byId.get(id);
    if (!n) return;
    const area = this.visibleRect();
    const { x, y, k } = this.view;
    const left = n.x * k + x,
      top = n.y * k + y;
    const inside =
      left >= area.x &&
      top >= area.y &&
      left + NODE_WIDTH * k <= area.x + area.width &&
      top + NODE_HEIGHT * k <= area.y + area.height;
    if (inside) return;
    this.setView(
      {
        k,
        x: area.x + area.width / 2 - (n.x + NODE_WIDTH / 2) * k,
        y: area.y + area.height / 2 - (n.y + NODE_HEIGHT / 2) * k,
      },
      false,
    );
  }

  /** How many nodes lie entirely in the visible part of the canvas (for the page's data attributes). */
  visibleNodeCount(): number {
    if (!this.model) return 0;
    const area = this.visibleRect();
    const { x, y, k } = this.view;
    return this.model.nodes.filter((n) => {
      const left = n.x * k + x,
        top = n.y * k + y;
      return (
        left >= area.x - 1 &&
        top >= area.y - 1 &&
        left + NODE_WIDTH * k <= area.x + area.width + 1 &&
        top + NODE_HEIGHT * k <= area.y + area.height + 1
      );
    }).length;
  }

  /** The edge under a client position (a palette item dragged over it), or undefined. */
  edgeAt(clientX: number, clientY: number): { from: string; to: string } | undefined {
    const hit = document.elementsFromPoint(clientX, clientY).find((e) => e.classList.contains('edge-hit')) as
      SVGElement | undefined;
    const from = hit?.dataset.from,
      to = hit?.dataset.to;
    return from && to ? { from, to } : undefined;
  }

  /** Marks the edge a palette item would be dropped into (undefined: none). */
  markDropEdge(edge: { from: string; to: string } | undefined): void {
    for (const e of this.edgeEls)
      e.el.classList.toggle('drop-target', !!edge && e.from === edge.from && e.to === edge.to);
  }

  /** Graph coordinates of a client (mouse) position. */
  toGraph(clientX: number, clientY: number): Point {
    const rect = this.root.getBoundingClientRect();
    return {
      x: (clientX - rect.left - this.view.x) / this.view.k,
      y: (clientY - rect.top - this.view.y) / this.view.k,
    };
  }

  private applyView(notify = true, byUser = false): void {
    this.viewport.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`);
    // Read by the e2e smoke test (and handy when debugging): the zoom and how many nodes are fully visible.
    this.root.dataset.zoom = this.view.k.toFixed(3);
    this.root.dataset.visibleNodes = String(this.visibleNodeCount());
    if (notify) this.events.viewChanged(this.view, byUser);
  }

  // ---- drawing ----------------------------------------------------------------------------------------

  private renderNodes(): void {
    this.nodeLayer.replaceChildren();
    this.nodeEls.clear();
    for (const n of this.model!.nodes) this.nodeEls.set(n.id, this.drawNode(n));
  }

  private drawNode(n: GraphNode): SVGGElement {
    const errors = n.problems.filter((p) => p.severity === 'error');
    const classes = [
      'node',
      n.kind,
      errors.length ? 'error' : n.problems.length ? 'warning' : '',
      n.isOutput ? 'output' : '',
      this.selection.has(n.id) ? 'selected' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const g = svg(
      'g',
      { class: classes, transform: `translate(${n.x},${n.y})`, tabindex: 0, 'data-id': n.id, role: 'button' },
      this.nodeLayer,
    );
    const layer = n.layer;
    const title = layer ? layer.type : 'Input';
    const label = layer ? `${layer.id}: ${layer.type}, output ${formatShape(layer.outputShape)}` : 'model input';
    g.setAttribute('aria-label', label + (errors.length ? `, ${errors.length} problem(s)` : ''));
    svg('title', {}, g).textContent = [label, ...n.problems.map((p) => `⚠ ${p.path}: ${p.message}`)].join('\n');
    svg('rect', { class: 'body', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 4 }, g);
    svg('rect', { class: 'stripe', width: 4, height: NODE_HEIGHT, rx: 2 }, g);
    svg('text', { class: 'type', x: 12, y: 19 }, g).textContent = title;
    const id = svg('text', { class: 'id', x: NODE_WIDTH - 10, y: 19, 'text-anchor': 'end' }, g);
    id.textContent = layer ? clip(layer.id, 12) : '';
    svg('text', { class: 'params', x: 12, y: 38 }, g).textContent = layer ? clip(keyParams(layer), 22) : '';
    const shape = layer ? layer.outputShape : null;
    const shapeText = svg('text', { class: 'shape', x: 12, y: 56 }, g);
    shapeText.textContent = n.kind === 'input' ? '' : `→ ${formatShape(shape)}`;
    if (n.kind === 'input') shapeText.textContent = '';
    if (layer && layer.params !== null) {
      svg('text', { class: 'count', x: NODE_WIDTH - 10, y: 56, 'text-anchor': 'end' }, g).textContent =
        `${formatCount(layer.params, true)} params`;
    }
    if (n.isOutput)
      svg('text', { class: 'badge', x: NODE_WIDTH - 10, y: 38, 'text-anchor': 'end' }, g).textContent = 'OUTPUT';
    if (errors.length)
      svg('text', { class: 'problem-mark', x: NODE_WIDTH - 10, y: 38, 'text-anchor': 'end' }, g).textContent =
        n.isOutput ? '⚠ OUTPUT' : `⚠ ${errors.length}`;
    if (n.kind === 'layer') svg('circle', { class: 'port in', cx: NODE_WIDTH / 2, cy: 0, r: 5 }, g);
    svg('circle', { class: 'port out', cx: NODE_WIDTH / 2, cy: NODE_HEIGHT, r: 5 }, g);
    return g;
  }

  /** Redraws the input node's shape line (it comes from the snapshot, not a layer). */
  setInputShape(shape: number[] | null): void {
    const el = this.nodeEls.get(INPUT_NODE_ID)?.querySelector('text.shape');
    if (el) el.textContent = formatShape(shape);
  }

  private renderEdges(): void {
    if (!this.model) return;
    this.edgeLayer.replaceChildren();
    this.edgeEls = [];
    for (const e of this.model.edges) {
      const from = this.model.byId.get(e.from)!,
        to = this.model.byId.get(e.to)!;
      const d = edgePath(from, to);
      const selected = this.selectedEdge?.from === e.from && this.selectedEdge.to === e.to;
      const cls = [
        'edge',
        e.problems.length ? 'error' : '',
        selected ? 'selected' : '',
        this.selection.has(e.from) || this.selection.has(e.to) ? 'related' : '',
      ]
        .filter(Boolean)
        .join(' ');
      const hit = svg('path', { d, class: 'edge-hit', 'data-from': e.from, 'data-to': e.to }, this.edgeLayer);
      const el = svg('path', { d, class: cls, 'marker-end': 'url(#arrow)' }, this.edgeLayer);
      if (e.problems.length)
        svg('title', {}, hit).textContent = e.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
      this.edgeEls.push({ el, hit, from: e.from, to: e.to });
    }
  }

  private moveEdges(ids: Set<string>): void {
    for (const e of this.edgeEls) {
      if (!ids.has(e.from) && !ids.has(e.to)) continue;
      const d = edgePath(this.model!.byId.get(e.from)!, this.model!.byId.get(e.to)!);
      e.el.setAttribute('d', d);
      e.hit.setAttribute('d', d);
    }
  }

  // ---- pointer ----------------------------------------------------------------------------------------

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || !this.model) return;
    const target = e.target as Element;
    const nodeEl = target.closest('g.node') as SVGGElement | null;
    const id = nodeEl?.dataset.id;
    if (target.classList.contains('port') && id)
      return this.dragConnection(e, id, target.classList.contains('out') ? 'out' : 'in');
    if (id) return this.dragNodes(e, id);
    if (target.classList.contains('edge-hit')) {
      this.setSelection([], true);
      this.selectedEdge = { from: (target as SVGElement).dataset.from!, to: (target as SVGElement).dataset.to! };
      this.renderEdges();
      this.root.focus();
      return;
    }
    if (e.shiftKey) return this.dragMarquee(e);
    this.dragPan(e);
  }

  private track(e: PointerEvent, move: (ev: PointerEvent) => void, up: (ev: PointerEvent) => void): void {
    this.root.setPointerCapture(e.pointerId);
    const onMove = (ev: PointerEvent) => move(ev);
    const onUp = (ev: PointerEvent) => {
      this.root.removeEventListener('pointermove', onMove);
      this.root.removeEventListener('pointerup', onUp);
      this.root.removeEventListener('pointercancel', onUp);
      up(ev);
    };
    this.root.addEventListener('pointermove', onMove);
    this.root.addEventListener('pointerup', onUp);
    this.root.addEventListener('pointercancel', onUp);
  }

  private dragPan(e: PointerEvent): void {
    const start = { x: e.clientX, y: e.clientY, vx: this.view.x, vy: this.view.y };
    let moved = false;
    this.track(
      e,
      (ev) => {
        moved ||= Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) > 3;
        this.setView({ ...this.view, x: start.vx + ev.clientX - start.x, y: start.vy + ev.clientY - start.y });
      },
      () => {
        if (!moved) this.setSelection([]);
      },
    );
  }

  private dragNodes(e: PointerEvent, id: string): void {
    const additive = e.shiftKey || e.ctrlKey || e.metaKey;
    if (additive) {
      const next = new Set(this.selection);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.setSelection(next);
      return;
    }
    if (!this.selection.has(id)) this.setSelection([id]);
    const moving = [...this.selection].map((s) => this.model!.byId.get(s)!).filter(Boolean);
    const origin = moving.map((n) => ({ n, x: n.x, y: n.y }));
    const start = this.toGraph(e.clientX, e.clientY);
    let moved = false;
    let frame = 0;
    this.track(
      e,
      (ev) => {
        const p = this.toGraph(ev.clientX, ev.clientY);
        const dx = p.x - start.x,
          dy = p.y - start.y;
        moved ||= Math.abs(dx) + Math.abs(dy) > 2;
        for (const o of origin) {
          o.n.x = o.x + dx;
          o.n.y = o.y + dy;
        }
        // One DOM update per frame however fast the pointer moves (smooth with 200 nodes).
        if (!frame)
          frame = requestAnimationFrame(() => {
            frame = 0;
            for (const o of origin) this.nodeEls.get(o.n.id)?.setAttribute('transform', `translate(${o.n.x},${o.n.y})`);
            this.moveEdges(new Set(origin.map((o) => o.n.id)));
          });
      },
      () => {
        if (moved) this.commitPositions(origin.map((o) => o.n));
      },
    );
  }

  /** Saves moved nodes to `layout`; the first move of an auto-laid-out graph saves every node. */
  commitPositions(moved: GraphNode[]): void {
    if (!this.model) return;
    const all = layerPositions(this.model);
    const positions = this.model.autoPlaced
      ? all
      : Object.fromEntries(moved.filter((n) => n.kind === 'layer').map((n) => [n.id, all[n.id]]));
    if (Object.keys(positions).length) this.events.intent({ type: 'layout/set', positions });
  }

  private dragConnection(e: PointerEvent, id: string, port: 'in' | 'out'): void {
    const model = this.model!;
    // From an input port: pick up the edge that arrives there (the last source) to move or drop it.
    const picked = port === 'in' ? [...model.edges].reverse().find((edge) => edge.to === id) : undefined;
    if (port === 'in' && !picked) return;
    const fromId = picked ? picked.from : id;
    const from = model.byId.get(fromId)!;
    const line = svg('path', { class: 'edge pending' }, this.overlay);
    const start = { x: from.x, y: from.y };
    this.track(
      e,
      (ev) => {
        const p = this.toGraph(ev.clientX, ev.clientY);
        line.setAttribute('d', edgePath(start, { x: p.x - NODE_WIDTH / 2, y: p.y }));
      },
      (ev) => {
        line.remove();
        const over = document.elementFromPoint(ev.clientX, ev.clientY)?.closest('g.node') as SVGGElement | null;
        const target = over?.dataset.id;
        if (picked && target === picked.to) return;
        const connect: EditIntent | undefined =
          target && target !== fromId && target !== INPUT_NODE_ID
            ? { type: 'edge/connect', from: fromId, to: target }
            : undefined;
        const disconnect: EditIntent | undefined = picked
          ? { type: 'edge/disconnect', from: picked.from, to: picked.to }
          : undefined;
        // Moving an edge is one intent (one edit, one undo step), never two racing messages.
        if (connect && disconnect) this.events.intent({ type: 'batch', intents: [disconnect, connect] });
        else if (connect) this.events.intent(connect);
        else if (disconnect) this.events.intent(disconnect);
      },
    );
  }

  private dragMarquee(e: PointerEvent): void {
    const start = this.toGraph(e.clientX, e.clientY);
    const box = svg('rect', { class: 'marquee' }, this.overlay);
    let end = start;
    this.track(
      e,
      (ev) => {
        end = this.toGraph(ev.clientX, ev.clientY);
        box.setAttribute('x', String(Math.min(start.x, end.x)));
        box.setAttribute('y', String(Math.min(start.y, end.y)));
        box.setAttribute('width', String(Math.abs(end.x - start.x)));
        box.setAttribute('height', String(Math.abs(end.y - start.y)));
      },
      () => {
        box.remove();
        const x0 = Math.min(start.x, end.x),
          x1 = Math.max(start.x, end.x),
          y0 = Math.min(start.y, end.y),
          y1 = Math.max(start.y, end.y);
        const hits = this.model!.nodes.filter(
          (n) => n.kind === 'layer' && n.x < x1 && n.x + NODE_WIDTH > x0 && n.y < y1 && n.y + NODE_HEIGHT > y0,
        );
        this.setSelection([...this.selection, ...hits.map((n) => n.id)]);
      },
    );
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.root.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey || Math.abs(e.deltaY) > Math.abs(e.deltaX)) {
      this.zoomBy(Math.exp(-e.deltaY * 0.0015), { x: e.clientX - rect.left, y: e.clientY - rect.top });
    } else {
      this.setView({ ...this.view, x: this.view.x - e.deltaX });
    }
  }

  // ---- keyboard ---------------------------------------------------------------------------------------

  private onKey(e: KeyboardEvent): void {
    if (!this.model) return;
    const focusedId = (document.activeElement as SVGElement | null)?.dataset?.id;
    const layerIds = [...this.selection].filter((id) => id !== INPUT_NODE_ID);
    if ((e.key === 'Enter' || e.key === ' ') && focusedId) {
      e.preventDefault();
      this.setSelection(e.shiftKey ? [...this.selection, focusedId] : [focusedId]);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      if (this.selectedEdge) this.events.intent({ type: 'edge/disconnect', ...this.selectedEdge });
      else if (layerIds.length) this.events.intent({ type: 'layer/delete', ids: layerIds });
    } else if (e.key.toLowerCase() === 'd' && (e.ctrlKey || e.metaKey) && layerIds.length) {
      e.preventDefault();
      this.events.intent({ type: 'layer/duplicate', ids: layerIds });
    } else if (e.key.toLowerCase() === 'a' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      this.setSelection(this.model.nodes.filter((n) => n.kind === 'layer').map((n) => n.id));
    } else if (e.key.startsWith('Arrow') && layerIds.length) {
      e.preventDefault();
      const step = e.shiftKey ? 40 : 10;
      const dx = e.key === 'ArrowLeft' ? -step : e.key === 'ArrowRight' ? step : 0;
      const dy = e.key === 'ArrowUp' ? -step : e.key === 'ArrowDown' ? step : 0;
      const moved = layerIds.map((id) => this.model!.byId.get(id)!);
      for (const n of moved) ((n.x += dx), (n.y += dy));
      this.commitPositions(moved);
    } else if (e.key === 'Escape') {
      this.setSelection([]);
    }
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
