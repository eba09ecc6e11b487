/**
 * The decision boundary of a two-input model (webview/testing/decisionBoundary.ts draws it): the grid of
 * plane points to predict, the class / confidence raster from the predictions, and plane ↔ pixel mapping for
 * the data points and clicks. Pure: tested in test/webview/testingViews.test.ts.
 */

export interface Plane {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}
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
export function boundaryRaster(
  probabilities: ArrayLike<number>,
  classCount: number,
  columns: number,
  rows: number,
): Raster {
  const n = columns * rows;
  if (probabilities.length !== n * classCount)
    throw new Error(
      `expected ${String(n * classCount)} probabilities (${String(n)} points × ${String(classCount)} classes), got ${String(probabilities.length)}`,
    );
  const classes = new Uint16Array(n),
    confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classCount; c++)
      if (probabilities[i * classCount + c] > probabilities[i * classCount + best]) best = c;
    classes[i] = best;
    confidence[i] = probabilities[i * classCount + best];
  }
  return { columns, rows, classes, confidence };
}

/** Convenience: predict over the grid with `predict(points) → probabilities` and rasterise the result. */
export async function computeBoundary(
  plane: Plane,
  columns: number,
  rows: number,
  classCount: number,
  predict: (points: [number, number][]) => Promise<ArrayLike<number>>,
): Promise<Raster> {
  return boundaryRaster(await predict(gridPoints(plane, columns, rows)), classCount, columns, rows);
}

/** A click at (px, py) on a `width` × `height` element → the plane's coordinates. */
export function pixelToPlane(plane: Plane, width: number, height: number, px: number, py: number): [number, number] {
  return [
    plane.xMin + (px / width) * (plane.xMax - plane.xMin),
    plane.yMax - (py / height) * (plane.yMax - plane.yMin),
  ];
}

/** The inverse, to place the data points. */
export function planeToPixel(plane: Plane, width: number, height: number, x: number, y: number): [number, number] {
  return [
    ((x - plane.xMin) / (plane.xMax - plane.xMin)) * width,
    ((plane.yMax - y) / (plane.yMax - plane.yMin)) * height,
  ];
}

/** The plane that holds all `points` with a 10% margin (a unit square around a single point). */
export function planeAround(points: readonly (readonly number[])[]): Plane {
  if (points.length === 0) return { xMin: -1, xMax: 1, yMin: -1, yMax: 1 };
  const xs = points.map((p) => p[0]),
    ys = points.map((p) => p[1]);
  const pad = (lo: number, hi: number): [number, number] => {
    const m = (hi - lo) * 0.1 || 0.5;
    return [lo - m, hi + m];
  };
  const [xMin, xMax] = pad(Math.min(...xs), Math.max(...xs));
  const [yMin, yMax] = pad(Math.min(...ys), Math.max(...ys));
  return { xMin, xMax, yMin, yMax };
}
