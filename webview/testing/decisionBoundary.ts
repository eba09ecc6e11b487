/**
 * For models of two inputs (the 2-D toy datasets): the plane coloured by the predicted class, faded by
 * confidence, under the data points; clicking the plane gives its (x, y) to predict. Computing the raster from
 * a predict function and mapping pixels to the plane are pure and tested (./boundary.ts,
 * test/webview/testingViews.test.ts);
 * the predict function is the caller's (`computeBoundary` in ./boundary.ts; the server has no batch infer yet,
 * see docs/webview.md).
 */
import { el } from '../dom';
import { RUN_COLOR_VARS } from '../metrics/runLabels';
import { planeToPixel, pixelToPlane, type Plane, type Raster } from './boundary';

/** Class colours: the chart palette the runs use (theme tokens), one entry per class, cycling. */
export const CLASS_COLOR_VARS = RUN_COLOR_VARS;

/**
 * The raster (cells filled with the class colour, alpha by confidence) with `points` (x, y, label) on top;
 * `onPick([x, y])` on a click. `size` is the canvas's pixel size (square).
 */
export function renderDecisionBoundary(
  plane: Plane,
  raster: Raster,
  points: readonly { x: number; y: number; label: number }[],
  onPick: (point: [number, number]) => void,
  size = 320,
): HTMLElement {
  const canvas = el('canvas', 'decision-boundary');
  canvas.width = canvas.height = size;
  canvas.setAttribute('aria-label', 'Decision boundary: click to predict a point');
  const ctx = canvas.getContext('2d');
  if (ctx) {
    // Canvas fills cannot read CSS variables directly: resolve each theme colour once.
    const style = getComputedStyle(canvas.isConnected ? canvas : document.body);
    const resolved = (c: number): string =>
      style.getPropertyValue(CLASS_COLOR_VARS[c % CLASS_COLOR_VARS.length]).trim() || '#888';
    const cw = size / raster.columns,
      ch = size / raster.rows;
    for (let i = 0; i < raster.classes.length; i++) {
      ctx.globalAlpha = 0.15 + 0.45 * raster.confidence[i];
      ctx.fillStyle = resolved(raster.classes[i]);
      ctx.fillRect((i % raster.columns) * cw, Math.floor(i / raster.columns) * ch, Math.ceil(cw), Math.ceil(ch));
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = style.getPropertyValue('--vscode-editor-background').trim() || '#fff';
    for (const p of points) {
      const [px, py] = planeToPixel(plane, size, size, p.x, p.y);
      ctx.beginPath();
      ctx.arc(px, py, 3, 0, 2 * Math.PI);
      ctx.fillStyle = resolved(p.label);
      ctx.fill();
      ctx.stroke();
    }
  }
  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect();
    onPick(pixelToPlane(plane, r.width, r.height, e.clientX - r.left, e.clientY - r.top));
  });
  const root = el('figure', 'boundary');
  root.appendChild(canvas);
  return root;
}
