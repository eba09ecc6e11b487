/**
 * The minimap: every node as a small rectangle on a <canvas> (cheap for hundreds of nodes), the visible
 * area as a frame; click or drag in it to move the view there. Shown only for graphs of more than a few
 * nodes that do not fit the canvas, and never when the user hid it (`enabled`). So that it does not hide
 * the graph, it docks at the foot of an open side panel (`dock`); with both panels closed it floats in
 * whichever corner of the canvas has the fewest nodes under it.
 */
import { NODE_HEIGHT, NODE_WIDTH, graphBounds, type GraphModel } from './graphModel';
import type { GraphCanvas } from './canvas';

const WIDTH = 160;
const HEIGHT = 120;

export class Minimap {
  readonly element: HTMLCanvasElement;
  private model: GraphModel | undefined;
  private frame = 0;
  /** False when the user hid the minimap (toolbar button; kept in the webview state). */
  enabled = true;

  /** Moves the minimap into an open side panel (docked), or back over the canvas (`undefined`). */
  dock(panel: HTMLElement | undefined): void {
    const target = panel ?? this.stage;
    if (this.element.parentElement !== target) target.appendChild(this.element);
    this.element.classList.toggle('docked', !!panel);
    this.draw();
  }

  constructor(
    private readonly stage: HTMLElement,
    private readonly canvas: GraphCanvas,
  ) {
    this.element = document.createElement('canvas');
    this.element.className = 'minimap';
    this.element.width = WIDTH * devicePixelRatio;
    this.element.height = HEIGHT * devicePixelRatio;
    this.element.setAttribute('aria-label', 'Minimap: click to move the view');
    stage.appendChild(this.element);
    const jump = (e: PointerEvent) => this.centerAt(e);
    this.element.addEventListener('pointerdown', (e) => {
      this.element.setPointerCapture(e.pointerId);
      jump(e);
      this.element.addEventListener('pointermove', jump);
      this.element.addEventListener('pointerup', () => this.element.removeEventListener('pointermove', jump), {
        once: true,
      });
    });
  }

  setModel(model: GraphModel): void {
    this.model = model;
    this.draw();
  }

  /** Redraws at most once per frame (the view changes on every wheel and pan event). */
  draw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  private scale() {
    const b = graphBounds(this.model?.nodes ?? []);
    const pad = 40;
    const s = Math.min(WIDTH / (b.width + 2 * pad), HEIGHT / (b.height + 2 * pad));
    return {
      s,
      ox: b.x - pad - (WIDTH / s - b.width - 2 * pad) / 2,
      oy: b.y - pad - (HEIGHT / s - b.height - 2 * pad) / 2,
      b,
    };
  }

  private paint(): void {
    const area = this.canvas.visibleRect();
    const model = this.model;
    const { s, ox, oy, b } = this.scale();
    const view = this.canvas.view;
    const visible = {
      x: (area.x - view.x) / view.k,
      y: (area.y - view.y) / view.k,
      w: area.width / view.k,
      h: area.height / view.k,
    };
    const needed =
      this.enabled &&
      model !== undefined &&
      model.nodes.length > 8 &&
      (b.width > visible.w ||
        b.height > visible.h ||
        b.x < visible.x ||
        b.y < visible.y ||
        b.x + b.width > visible.x + visible.w ||
        b.y + b.height > visible.y + visible.h);
    this.element.hidden = !needed;
    if (!needed || !model) return;
    if (this.element.classList.contains('docked')) {
      this.element.style.left = '';
      this.element.style.top = '';
    } else {
      this.place(model);
    }
    const ctx = this.element.getContext('2d')!;
    const style = getComputedStyle(this.element);
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    ctx.fillStyle = style.getPropertyValue('--minimap-node').trim() || '#888';
    for (const n of model.nodes)
      ctx.fillRect((n.x - ox) * s, (n.y - oy) * s, Math.max(1, NODE_WIDTH * s), Math.max(1, NODE_HEIGHT * s));
    ctx.fillStyle = style.getPropertyValue('--minimap-error').trim() || '#f14c4c';
    for (const n of model.nodes) {
      if (n.problems.some((p) => p.severity === 'error'))
        ctx.fillRect((n.x - ox) * s, (n.y - oy) * s, Math.max(2, NODE_WIDTH * s), Math.max(2, NODE_HEIGHT * s));
    }
    ctx.strokeStyle = style.getPropertyValue('--minimap-view').trim() || '#007acc';
    ctx.lineWidth = 1.5;
    ctx.strokeRect((visible.x - ox) * s, (visible.y - oy) * s, visible.w * s, visible.h * s);
  }

  /** Moves the minimap to the corner of the uncovered canvas that overlaps the fewest node pixels. */
  private place(model: GraphModel): void {
    const area = this.canvas.visibleRect();
    const { x, y, k } = this.canvas.view;
    const margin = 10;
    const corners = [
      { left: area.x + area.width - WIDTH - margin, top: area.y + area.height - HEIGHT - margin },
      { left: area.x + area.width - WIDTH - margin, top: area.y + margin },
      { left: area.x + margin, top: area.y + area.height - HEIGHT - margin },
      { left: area.x + margin, top: area.y + margin },
    ];
    const overlap = (c: { left: number; top: number }) =>
      model.nodes.reduce((sum, n) => {
        const w = Math.min(c.left + WIDTH, n.x * k + x + NODE_WIDTH * k) - Math.max(c.left, n.x * k + x);
        const h = Math.min(c.top + HEIGHT, n.y * k + y + NODE_HEIGHT * k) - Math.max(c.top, n.y * k + y);
        return sum + (w > 0 && h > 0 ? w * h : 0);
      }, 0);
    const best = corners.map((c) => ({ c, o: overlap(c) })).reduce((a, b) => (b.o < a.o ? b : a));
    this.element.style.left = `${Math.round(best.c.left)}px`;
    this.element.style.top = `${Math.round(best.c.top)}px`;
  }

  private centerAt(e: PointerEvent): void {
    const r = this.element.getBoundingClientRect();
    const { s, ox, oy } = this.scale();
    const gx = (e.clientX - r.left) / s + ox,
      gy = (e.clientY - r.top) / s + oy;
    const area = this.canvas.visibleRect();
    const k = this.canvas.view.k;
    this.canvas.setView({ k, x: area.x + area.width / 2 - gx * k, y: area.y + area.height / 2 - gy * k });
  }
}
