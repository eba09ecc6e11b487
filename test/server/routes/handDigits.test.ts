/**
 * "Draw digits 0–9 by hand on the pad, and at least 8 of 10 are recognised" (issue 11), checked end to end
 * without a browser: the mnist-cnn example's architecture trains on an MNIST subset through a real server;
 * each digit of test/fixtures/hand-digits.json (mouse strokes, 0..1 pad coordinates) is painted with the
 * pad's own brush (webview/testing/strokes.ts, at the pad's default size and radius), centred with
 * centreDrawing (src/shared/drawing.ts) as the pad does, and sent to POST /api/infer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { StitchClient } from '../../../src/shared/client';
import { centreDrawing, type Grayscale } from '../../../src/shared/drawing';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { strokeSegment } from '../../../webview/testing/strokes';
import { startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

/** The pad's defaults (webview/testing/drawingPad.ts): a 196-pixel buffer and a brush radius of size / 14. */
const PAD = 196;
const RADIUS = PAD / 14;

interface HandDigit {
  label: number;
  strokes: [number, number][][];
}

/**
 * The example's architecture and hyperparameters on 3,000 MNIST images for 2 epochs (about 15 s on wasm):
 * 9 or 10 of 10 over seeds 1, 2 and 42. The example as it is (10,000 images, 3 epochs) recognises 10 of 10.
 */
const TRAINING = { maxSamples: 3000, epochs: 2, testSamples: 500 };

/** Paints the strokes the way the pad does: a dot where the pen goes down, then a segment per mouse move. */
function paint(strokes: [number, number][][]): Grayscale {
  const image: Grayscale = { width: PAD, height: PAD, data: new Float32Array(PAD * PAD) };
  for (const stroke of strokes) {
    const points = stroke.map(([x, y]) => ({ x: x * PAD, y: y * PAD }));
    points.forEach((p, i) => {
      strokeSegment(image, points[Math.max(0, i - 1)], p, RADIUS);
    });
  }
  return image;
}

let server: TestServer;
let runId = '';

before(async () => {
  const example = JSON.parse(
    readFileSync(join(__dirname, '../../../examples/mnist-cnn.stitch.json'), 'utf8'),
  ) as StitchSchema & { training: object };
  const schema = { ...example, training: { ...example.training, ...TRAINING } };
  server = await startTestServer({ backend: 'wasm' });
  runId = await submit(server, schema);
  assert.equal(
    await waitForState(server, runId, ['succeeded', 'failed'], 180_000),
    'succeeded',
    server.logs.join('\n'),
  );
});
after(() => server.stop());

test('at least 8 of the 10 hand-drawn digits are recognised', async () => {
  const { digits } = JSON.parse(readFileSync(join(__dirname, '../../fixtures/hand-digits.json'), 'utf8')) as {
    digits: HandDigit[];
  };
  assert.deepEqual(
    digits.map((d) => d.label),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  const client = new StitchClient(server.url);
  const answers: string[] = [];
  let right = 0;
  for (const digit of digits) {
    const pixels = Array.from(centreDrawing(paint(digit.strokes)));
    const { label, probabilities } = await client.infer({ run_id: runId, pixels });
    if (label === digit.label) right++;
    answers.push(`${digit.label}→${label} (${probabilities[label].toFixed(2)})`);
  }
  console.log(`hand-drawn digits: ${right}/10 recognised: ${answers.join(', ')}`);
  assert.ok(right >= 8, `only ${right} of 10 recognised: ${answers.join(', ')}`);
});
