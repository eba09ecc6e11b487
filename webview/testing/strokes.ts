/**
 * Drawing pad strokes (webview/testing/drawingPad.ts): a thick anti-aliased segment rasterised into the
 * Grayscale ink that `centreDrawing` (src/shared/drawing.ts) centres for the model, and the throttle that paces
 * predictions while drawing. Pure: tested in test/webview/testingViews.test.ts.
 */
import type { Grayscale } from '../../src/shared/drawing';

export type Tool = 'brush' | 'eraser';
export interface Point {
  x: number;
  y: number;
}

/**
 * Paints the segment a→b with round caps of `radius` pixels into `image`, anti-aliased: a pixel's coverage
 * falls from 1 to 0 over the half pixel either side of the stroke's edge (distance from the pixel centre to
 * the segment). The brush raises ink to the coverage, the eraser lowers it to 1 − coverage; neither ever
 * undoes the other's full strength in one pass, so overlapping stroke pieces do not leave seams.
 */
export function strokeSegment(image: Grayscale, a: Point, b: Point, radius: number, tool: Tool = 'brush'): void {
  const reach = radius + 0.5;
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach)),
    x1 = Math.min(image.width - 1, Math.ceil(Math.max(a.x, b.x) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach)),
    y1 = Math.min(image.height - 1, Math.ceil(Math.max(a.y, b.y) + reach));
  const dx = b.x - a.x,
    dy = b.y - a.y;
  const length2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5,
        py = y + 0.5;
      const t = length2 > 0 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / length2)) : 0;
      const d = Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy));
      const coverage = Math.max(0, Math.min(1, reach - d));
      if (coverage <= 0) continue;
      const i = y * image.width + x;
      image.data[i] = tool === 'brush' ? Math.max(image.data[i], coverage) : Math.min(image.data[i], 1 - coverage);
    }
  }
}

/** Lets a call through at most once per `intervalMs` (by the clock passed in, so it is testable). */
export class Throttle {
  private last = -Infinity;
  constructor(private readonly intervalMs: number) {}
  due(now: number): boolean {
    if (now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
  reset(): void {
    this.last = -Infinity;
  }
}
