/**
 * A layer's activation (src/server/training/activations.ts: values quantised to 0..255 between min and max)
 * split for display (webview/testing/activationView.ts): per-channel planes of a [h, w, c] map and a
 * near-square grid for them. Pure: tested in test/webview/testingViews.test.ts.
 */

import type { LayerActivation } from '../../src/shared/protocol';

export type { LayerActivation };

/** Row-major h × w × c bytes → c planes of h × w bytes. */
export function channelPlanes(bytes: Uint8Array, height: number, width: number, channels: number): Uint8Array[] {
  if (bytes.length !== height * width * channels) {
    throw new Error(
      `expected ${String(height * width * channels)} values for [${String(height)}, ${String(width)}, ${String(channels)}], got ${String(bytes.length)}`,
    );
  }
  const planes = Array.from({ length: channels }, () => new Uint8Array(height * width));
  for (let p = 0; p < height * width; p++) for (let c = 0; c < channels; c++) planes[c][p] = bytes[p * channels + c];
  return planes;
}

/**
 * Columns and rows for `count` tiles of aspect `tileAspect` (width / height): the most nearly square grid
 * overall, not wider than `maxColumns`. 32 square maps → 6 × 6 (4 empty), 8 → 3 × 3, 1 → 1 × 1.
 */
export function gridLayout(count: number, tileAspect = 1, maxColumns = 8): { columns: number; rows: number } {
  if (count <= 0) return { columns: 0, rows: 0 };
  let best = { columns: 1, rows: count },
    bestScore = Infinity;
  for (let columns = 1; columns <= Math.min(count, maxColumns); columns++) {
    const rows = Math.ceil(count / columns);
    // How far the whole grid is from square, plus a little for each empty slot.
    const score = Math.abs(Math.log((columns * tileAspect) / rows)) + (rows * columns - count) / count;
    if (score < bestScore) {
      bestScore = score;
      best = { columns, rows };
    }
  }
  return best;
}

/** The value a byte stands for (the inverse of the server's quantisation). */
export function dequantise(byte: number, min: number, max: number): number {
  return min + (byte / 255) * (max - min);
}
