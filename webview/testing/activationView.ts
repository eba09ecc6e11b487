/**
 * A layer's activation (src/server/training/activations.ts: values quantised to 0..255 between min and max)
 * as pictures: a [h, w, c] feature map becomes a grid of c small grey images, one per channel; a dense [n]
 * output becomes a heat strip of n cells. Splitting channels and choosing the grid are pure and tested
 * (./featureMaps.ts, test/webview/testingViews.test.ts); the grey images need no theme colour (they are
 * data, like a photo).
 */
import { bytesToRgba, decodeBase64 } from '../evaluation/examples';
import { el } from '../dom';
import { channelPlanes, gridLayout, type LayerActivation } from './featureMaps';

function planeCanvas(plane: Uint8Array, width: number, height: number): HTMLCanvasElement {
  const canvas = el('canvas', 'feature-map');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx) ctx.putImageData(new ImageData(bytesToRgba(plane, width, height, 1), width, height), 0, 0);
  return canvas;
}

/** The figcaption's text: id, shape and value range. */
function captionOf(activation: LayerActivation): string {
  const { id, shape, min, max } = activation;
  return `${id} [${shape.join(', ')}] ${min.toPrecision(3)} … ${max.toPrecision(3)}`;
}

/**
 * Redraws a figure made by `renderActivation` for a new activation of the same layer and shape, in place:
 * live predictions arrive several times a second, and building a few hundred canvases each time is what
 * the page cannot afford. False when the figure does not fit (a new layer or shape): render a new one.
 */
export function repaintActivation(figure: HTMLElement, activation: LayerActivation): boolean {
  if (figure.dataset.layer !== activation.id || figure.dataset.shape !== activation.shape.join(',')) return false;
  const bytes = decodeBase64(activation.base64);
  const canvases = [...figure.querySelectorAll('canvas')];
  const shape = activation.shape;
  const planes = shape.length === 3 ? channelPlanes(bytes, shape[0], shape[1], shape[2]) : [bytes];
  if (planes.length !== canvases.length) return false;
  canvases.forEach((canvas, i) => {
    canvas
      .getContext('2d')
      ?.putImageData(
        new ImageData(bytesToRgba(planes[i], canvas.width, canvas.height, 1), canvas.width, canvas.height),
        0,
        0,
      );
  });
  const caption = figure.querySelector('figcaption');
  if (caption) caption.textContent = captionOf(activation);
  return true;
}

export function renderActivation(activation: LayerActivation): HTMLElement {
  const root = el('figure', 'activation');
  root.dataset.layer = activation.id;
  root.dataset.shape = activation.shape.join(',');
  const bytes = decodeBase64(activation.base64);
  const shape = activation.shape;
  if (shape.length === 3) {
    const [h, w, c] = shape;
    const { columns } = gridLayout(c, w / h);
    const grid = el('div', 'feature-maps');
    grid.style.gridTemplateColumns = `repeat(${String(columns)}, 1fr)`;
    channelPlanes(bytes, h, w, c).forEach((plane, i) => {
      const canvas = planeCanvas(plane, w, h);
      canvas.title = `channel ${String(i)}`;
      grid.appendChild(canvas);
    });
    root.appendChild(grid);
  } else {
    // Dense (or anything flattened): one strip, a cell per value.
    const canvas = planeCanvas(bytes, bytes.length, 1);
    canvas.className = 'heat-strip';
    root.appendChild(canvas);
  }
  root.appendChild(el('figcaption', '', captionOf(activation)));
  return root;
}
