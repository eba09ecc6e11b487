/**
 * A thumbnail gallery of evaluation examples (docs/evaluation.md: the most confidently wrong first, then
 * correct ones). Image samples are drawn on a canvas from their base64 bytes; other samples show their
 * feature values. Wrong ones are marked with the predicted and the true class and the confidence. The byte →
 * RGBA conversion and the captions are pure and tested (test/webview/evaluationViews.test.ts, via ./examples.ts).
 */
import type { EvaluationSample } from '../../src/shared/evaluation';
import { el } from '../dom';
import { bytesToRgba, caption, decodeBase64, formatFeatures } from './examples';

function thumbnail(sample: EvaluationSample): HTMLElement {
  if (!sample.image) return el('code', 'features', formatFeatures(sample.features ?? []));
  const { width, height, channels, base64 } = sample.image;
  const canvas = el('canvas', 'thumbnail');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx)
    ctx.putImageData(new ImageData(bytesToRgba(decodeBase64(base64), width, height, channels), width, height), 0, 0);
  return canvas;
}

/** A grid of figures; `onSelect(sample)` when one is clicked (e.g. to send it to the Test tab). */
export function renderGallery(
  samples: readonly EvaluationSample[],
  classes: readonly string[],
  onSelect?: (sample: EvaluationSample) => void,
): HTMLElement {
  const grid = el('div', 'example-gallery');
  for (const sample of samples) {
    const c = caption(sample, classes);
    const figure = el('figure', c.wrong ? 'example wrong' : 'example');
    figure.title = c.label;
    figure.setAttribute('aria-label', c.label);
    figure.append(thumbnail(sample), el('figcaption', '', c.text));
    if (onSelect) {
      figure.tabIndex = 0;
      figure.addEventListener('click', () => {
        onSelect(sample);
      });
    }
    grid.appendChild(figure);
  }
  return grid;
}
