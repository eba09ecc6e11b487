/**
 * For models of two inputs (the 2-D toy datasets): the plane coloured by the predicted class, faded by
 * confidence, under the data points; clicking the plane gives its (x, y) to predict. Computing the raster from
 * a predict function and mapping pixels to the plane are pure and tested (test/webview/testingViews.test.ts);
 * the predict function is the caller's (a batch sent to the server's predict route, docs/evaluation.md).
 */
import { el } from '../dom';

export interface Plane { xMin: number; xMax: number; yMin: number; yMax: number }
export interface Raster {
  columns: number;
  rows: number;
  /** Row-major, row 0 at the top (largest y). */
  classes: Uint16Array;
  confidence: Float32Array;
}

/** The plane point at the centre of grid cell (column, row); y grows upward, as on a chart. */
export function cellCentre(plane: Plane, columns: number, rows: number, column: number, row: number): [number, number] {
  return [
    plane.xMin + ((column + 0.5) / columns) * (plane.xMax - plane.xMin),
    plane.yMax - ((row + 0.5) / rows) * (plane.yMax - plane.yMin),
  ];
}

/** The grid's points in raster order, to send to the model as one batch. */
export function gridPoints(plane: Plane, columns: number, rows: number): [number, number][] {
  const points: [number, number][] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) points.push(cellCentre(plane, columns, rows, c, r));
  return points;
}

/**
 * The class (arg max) and its probability per grid cell. `probabilities` is the model's output for
 * `gridPoints(...)`: n × k row-major. Throws if the sizes disagree.
 */
export function boundaryRaster(probabilities: ArrayLike<number>, classCount: number, columns: number, rows: number): Raster {
  const n = columns * rows;
  if (probabilities.length !== n * classCount) throw new Error(`expected ${String(n * classCount)} probabilities (${String(n)} points × ${String(classCount)} classes), got ${String(probabilities.length)}`);
  const classes = new Uint16Array(n), confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) if (probabilities[i * classCount + c] > probabilities[i * classCount + best]) best = c;
    classes[i] = best;
    confidence[i] = probabilities[i * classCount + best];
  }
  return { columns, rows, classes, confidence };
}

/** Convenience: predict over the grid with `predict(points) → probabilities` and rasterise the result. */
export async function computeBoundary(plane: Plane, columns: number, rows: number, classCount: number, predict: (points: [number, number][]) => Promise<ArrayLike<number>>): Promise<Raster> {
  return boundaryRaster(await predict(gridPoints(plane, columns, rows)), classCount, columns, rows);
}

/** A click at (px, py) on a `width` × `height` element → the plane's coordinates. */
export function pixelToPlane(plane: Plane, width: number, height: number, px: number, py: number): [number, number] {
  return [plane.xMin + (px / width) * (plane.xMax - plane.xMin), plane.yMax - (py / height) * (plane.yMax - plane.yMin)];
}

/** The inverse, to place the data points. */
export function planeToPixel(plane: Plane, width: number, height: number, x: number, y: number): [number, number] {
  return [((x - plane.xMin) / (plane.xMax - plane.xMin)) * width, ((plane.yMax - y) / (plane.yMax - plane.yMin)) * height];
}

/** The plane that holds all `points` with a 10% margin (a unit square around a single point). */
export function planeAround(points: readonly (readonly number[])[]): Plane {
  if (points.length === 0) return { xMin: -1, xMax: 1, yMin: -1, yMax: 1 };
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const pad = (lo: number, hi: number): [number, number] => { const m = (hi - lo) * 0.1 || 0.5; return [lo - m, hi + m]; };
  const [xMin, xMax] = pad(Math.min(...xs), Math.max(...xs));
  const [yMin, yMax] = pad(Math.min(...ys), Math.max(...ys));
  return { xMin, xMax, yMin, yMax };
}

export const CLASS_COLOR_VARS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'] as const;

/**
 * The raster (cells filled with the class colour, alpha by confidence) with `points` (x, y, label) on top;
 * `onPick([x, y])` on a click. `size` is the canvas's pixel size (square).
 */
export function renderDecisionBoundary(plane: Plane, raster: Raster, points: readonly { x: number; y: number; label: number }[], onPick: (point: [number, number]) => void, size = 320): HTMLElement {
  const canvas = el('canvas', 'decision-boundary');
  canvas.width = canvas.height = size;
  canvas.setAttribute('aria-label', 'Decision boundary: click to predict a point');
  const ctx = canvas.getContext('2d');
  if (ctx) {
    // Canvas fills cannot read CSS variables directly: resolve each theme colour once.
    const style = getComputedStyle(canvas.isConnected ? canvas : document.body);
    const resolved = (c: number): string => style.getPropertyValue(CLASS_COLOR_VARS[c % CLASS_COLOR_VARS.length]).trim() || '#888';
    const cw = size / raster.columns, ch = size / raster.rows;
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
