/**
 * Evaluation examples for display (webview/evaluation/gallery.ts draws them): base64 bytes to the RGBA of
 * an ImageData (1, 3 or 4 channels; also used for feature maps), and captions saying whether and how a sample
 * is wrong. Pure: tested in test/webview/evaluationViews.test.ts.
 */
import type { EvaluationSample } from '../../src/shared/evaluation';

/** Decodes base64 to bytes (atob in the webview; Node 16+ has it too, so the tests use the same path). */
export function decodeBase64(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Row-major height × width × channels bytes (1 = grey, 3 = RGB, 4 = RGBA) to the RGBA bytes of an ImageData.
 * Throws a clear error when the byte count does not match the shape, rather than drawing garbage.
 */
export function bytesToRgba(
  bytes: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Uint8ClampedArray<ArrayBuffer> {
  const pixels = width * height;
  if (![1, 3, 4].includes(channels)) throw new Error(`cannot draw ${String(channels)} channels: expected 1, 3 or 4`);
  if (bytes.length !== pixels * channels) {
    throw new Error(
      `expected ${String(pixels * channels)} bytes for ${String(width)}×${String(height)}×${String(channels)}, got ${String(bytes.length)}`,
    );
  }
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    const s = i * channels,
      d = i * 4;
    if (channels === 1) {
      rgba[d] = rgba[d + 1] = rgba[d + 2] = bytes[s];
      rgba[d + 3] = 255;
    } else {
      rgba[d] = bytes[s];
      rgba[d + 1] = bytes[s + 1];
      rgba[d + 2] = bytes[s + 2];
      rgba[d + 3] = channels === 4 ? bytes[s + 3] : 255;
    }
  }
  return rgba;
}

export interface Caption {
  wrong: boolean;
  /** Short text under the thumbnail, e.g. "5 (not 3) 97%" or "3 99%". */
  text: string;
  /** The full sentence for the title and screen readers. */
  label: string;
}

export function caption(sample: EvaluationSample, classes: readonly string[]): Caption {
  const name = (c: number): string => classes[c] ?? String(c);
  // A confusion cell's samples (GET …/evaluation/samples) come without their confidence.
  const known = Number.isFinite(sample.confidence);
  const confidence = known ? ` ${(sample.confidence * 100).toFixed(0)}%` : '';
  const withConfidence = known ? ` with${confidence} confidence` : '';
  const wrong = sample.prediction !== sample.label;
  return wrong
    ? {
        wrong,
        text: `${name(sample.prediction)} (not ${name(sample.label)})${confidence}`,
        label: `Test sample ${String(sample.index)}: predicted ${name(sample.prediction)}${withConfidence}, but it is ${name(sample.label)}`,
      }
    : {
        wrong,
        text: `${name(sample.prediction)}${confidence}`,
        label: `Test sample ${String(sample.index)}: correctly predicted ${name(sample.prediction)}${withConfidence}`,
      };
}

/** Feature values shortened for a caption: "0.12, -3.40, 7.00" (at most `max`, then "…"). */
export function formatFeatures(features: readonly number[], max = 4): string {
  const shown = features.slice(0, max).map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(2)));
  return shown.join(', ') + (features.length > max ? ', …' : '');
}
