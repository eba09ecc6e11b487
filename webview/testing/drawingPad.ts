/**
 * A drawing pad for image models: brush, eraser and clear. Strokes are rasterised into a Grayscale ink
 * buffer (1 = ink) which `centreDrawing` (src/shared/drawing.ts) turns into the 28×28 input an MNIST model
 * expects; that input goes to `onInput` at each stroke's end and, throttled, while drawing, so predictions
 * follow the pen. The ink is shown white on black, as the model sees it, which reads the same in every theme.
 * Rasterisation and the throttle are pure and tested (test/webview/testingViews.test.ts, via ./strokes.ts).
 */
import { centreDrawing, type Grayscale } from '../../src/shared/drawing';
import { button, el } from '../dom';
import { strokeSegment, Throttle, type Point, type Tool } from './strokes';

export interface DrawingPadOptions {
  /** Pixels of the ink buffer (square). Default 196: 7× the 28×28 field. */
  size?: number;
  /** Brush radius in buffer pixels. Default size / 14 (a pen about as thick as MNIST strokes). */
  radius?: number;
  /** How often `onInput` fires while drawing. Default 150 ms. */
  throttleMs?: number;
}

/** The pad with its toolbar; `onInput(field)` receives the centred 28×28 input (all 0 after Clear). */
export function createDrawingPad(onInput: (field: Float32Array) => void, options: DrawingPadOptions = {}): HTMLElement {
  const size = options.size ?? 196;
  const radius = options.radius ?? size / 14;
  const image: Grayscale = { width: size, height: size, data: new Float32Array(size * size) };
  const throttle = new Throttle(options.throttleMs ?? 150);
  let tool: Tool = 'brush';
  let last: Point | null = null;

  const canvas = el('canvas', 'drawing-pad');
  canvas.width = canvas.height = size;
  canvas.setAttribute('aria-label', 'Drawing pad: draw with the mouse or a pen');
  const ctx = canvas.getContext('2d');
  const paint = (): void => {
    if (!ctx) return;
    const rgba = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < image.data.length; i++) {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = Math.round(image.data[i] * 255);
      rgba[i * 4 + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, size, size), 0, 0);
  };
  const emit = (): void => {
    onInput(centreDrawing(image));
  };
  const toBuffer = (e: PointerEvent): Point => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * size, y: ((e.clientY - r.top) / r.height) * size };
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = toBuffer(e);
    strokeSegment(image, last, last, radius, tool);
    paint();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = toBuffer(e);
    strokeSegment(image, last, p, radius, tool);
    last = p;
    paint();
    if (throttle.due(performance.now())) emit();
  });
  const end = (): void => {
    if (!last) return;
    last = null;
    throttle.reset();
    emit();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  const toolbar = el('div', 'drawing-tools');
  const brush = button(
    'Brush',
    'edit',
    () => {
      select('brush');
    },
    false,
  );
  const eraser = button('Eraser', 'circle-slash', () => {
    select('eraser');
  });
  const select = (next: Tool): void => {
    tool = next;
    brush.toggleAttribute('secondary', next !== 'brush');
    eraser.toggleAttribute('secondary', next !== 'eraser');
  };
  toolbar.append(
    brush,
    eraser,
    button('Clear', 'clear-all', () => {
      image.data.fill(0);
      paint();
      emit();
    }),
  );
  paint();
  const root = el('div', 'drawing');
  root.append(canvas, toolbar);
  return root;
}
