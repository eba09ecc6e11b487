/**
 * Turns a hand drawing into the kind of input an MNIST model was trained on, the way the MNIST digits were
 * made: the ink's bounding box is scaled (keeping its aspect ratio, anti-aliased) to fit 20×20, then placed
 * in a 28×28 field so that its centre of mass is at the centre. Without this a digit drawn small or in a
 * corner of the pad is rarely recognised. Pure: used by the panel's drawing pad and by its tests.
 */

export interface Grayscale {
  width: number;
  height: number;
  /** Row-major ink values in 0..1 (1 = ink), width × height. */
  data: Float32Array;
}

export const FIELD = 28;
export const BOX = 20;
/** Values below this count as background when finding the ink's bounding box. */
const INK = 0.05;

/** The bounding box of the ink, or null for an empty drawing. */
export function inkBounds(image: Grayscale): { left: number; top: number; right: number; bottom: number } | null {
  let left = image.width,
    top = image.height,
    right = -1,
    bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[y * image.width + x] <= INK) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  return right < 0 ? null : { left, top, right: right + 1, bottom: bottom + 1 };
}

/**
 * Area-averaging resample of the rectangle [x0, x1) × [y0, y1) of `image` to `w` × `h` pixels: each output
 * pixel is the mean of the source area it covers (partial pixels weighted), which anti-aliases a downscale.
 */
function resample(
  image: Grayscale,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  w: number,
  h: number,
): Float32Array {
  const out = new Float32Array(w * h);
  const sx = (x1 - x0) / w,
    sy = (y1 - y0) / h;
  for (let oy = 0; oy < h; oy++) {
    const ya = y0 + oy * sy,
      yb = ya + sy;
    for (let ox = 0; ox < w; ox++) {
      const xa = x0 + ox * sx,
        xb = xa + sx;
      let sum = 0,
        area = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        if (wy <= 0 || y < 0 || y >= image.height) continue;
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          if (wx <= 0 || x < 0 || x >= image.width) continue;
          sum += image.data[y * image.width + x] * wx * wy;
          area += wx * wy;
        }
      }
      out[oy * w + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** The centre of mass (x, y) of an image's values, in pixel-centre coordinates; null when all zero. */
export function centreOfMass(values: Float32Array, width: number): { x: number; y: number } | null {
  let mass = 0,
    mx = 0,
    my = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v <= 0) continue;
    mass += v;
    mx += v * ((i % width) + 0.5);
    my += v * (Math.floor(i / width) + 0.5);
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : null;
}

/** The drawing as a 28×28 MNIST-style input (row-major, 0..1); all zeros when nothing is drawn. */
export function centreDrawing(image: Grayscale): Float32Array {
  const field = new Float32Array(FIELD * FIELD);
  const bounds = inkBounds(image);
  if (!bounds) return field;
  const bw = bounds.right - bounds.left,
    bh = bounds.bottom - bounds.top;
  const scale = BOX / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)),
    h = Math.max(1, Math.round(bh * scale));
  const box = resample(image, bounds.left, bounds.top, bounds.right, bounds.bottom, w, h);
  const com = centreOfMass(box, w) ?? { x: w / 2, y: h / 2 };
  // Integer offsets, as MNIST's own preparation used; the centre of mass lands within half a pixel of 14, 14.
  const ox = Math.round(FIELD / 2 - com.x),
    oy = Math.round(FIELD / 2 - com.y);
  for (let y = 0; y < h; y++) {
    const fy = y + oy;
    if (fy < 0 || fy >= FIELD) continue;
    for (let x = 0; x < w; x++) {
      const fx = x + ox;
      if (fx < 0 || fx >= FIELD) continue;
      field[fy * FIELD + fx] = Math.min(1, box[y * w + x]);
    }
  }
  return field;
}
