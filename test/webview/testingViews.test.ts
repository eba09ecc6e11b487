// The Test views' pure parts (webview/testing/*): stroke rasterisation into the drawing pad's ink and its
// centring for the model, the throttle, probability ranking, activation channel planes and grid layout (on
// a real tfjs model's activations), the tabular form's parsing, and the decision boundary's raster and
// plane ↔ pixel mapping.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { centreOfMass, centreDrawing, FIELD, inkBounds, type Grayscale } from '../../src/shared/drawing';
import { layerActivations } from '../../src/server/training/activations';
import { buildModel } from '../../src/server/training/model';
import { decodeBase64 } from '../../webview/evaluation/examples';
import { strokeSegment, Throttle } from '../../webview/testing/strokes';
import { formatProbability, topProbabilities } from '../../webview/testing/probabilities';
import { channelPlanes, dequantise, gridLayout } from '../../webview/testing/featureMaps';
import { parseFeatures } from '../../webview/testing/featureInput';
import {
  boundaryRaster,
  cellCentre,
  computeBoundary,
  gridPoints,
  pixelToPlane,
  planeAround,
  planeToPixel,
} from '../../webview/testing/boundary';

const blank = (size: number): Grayscale => ({ width: size, height: size, data: new Float32Array(size * size) });

test('a stroke is a thick line with anti-aliased edges and round caps', () => {
  const image = blank(40);
  strokeSegment(image, { x: 10, y: 20.5 }, { x: 30, y: 20.5 }, 3);
  const at = (x: number, y: number): number => image.data[y * 40 + x];
  assert.equal(at(20, 19), 1, 'on the line: full ink');
  assert.equal(at(20, 22), 1, 'within the radius');
  // Pixel row 23's centre (23.5) is 3 from the line: exactly on the edge, half covered.
  assert.equal(at(20, 23), 0.5);
  assert.equal(at(20, 25), 0, 'outside');
  assert.ok(at(7, 20) === 1 && at(6, 20) === 0, 'a round cap of the radius past the end');
  assert.deepEqual(inkBounds(image), { left: 7, top: 17, right: 33, bottom: 24 });
  strokeSegment(image, { x: 20, y: 10 }, { x: 20, y: 30 }, 2, 'eraser');
  assert.equal(at(20, 20), 0, 'the eraser removes ink');
  assert.equal(at(15, 20), 1, 'and only where it passes');
});

test('a small digit drawn in a corner of the pad is centred into the 28×28 field', () => {
  const image = blank(196);
  strokeSegment(image, { x: 20, y: 10 }, { x: 20, y: 60 }, 7);
  const field = centreDrawing(image);
  assert.equal(field.length, FIELD * FIELD);
  const centre = centreOfMass(field, FIELD);
  assert.ok(
    centre && Math.abs(centre.x - 14) < 1 && Math.abs(centre.y - 14) < 1,
    `centre of mass ${JSON.stringify(centre)}`,
  );
  const bounds = inkBounds({ width: FIELD, height: FIELD, data: field });
  assert.ok(bounds && bounds.bottom - bounds.top >= 19, 'scaled up to the 20-pixel box');
});

test('the throttle lets one call through per interval and again after a reset', () => {
  const t = new Throttle(150);
  assert.deepEqual(
    [0, 50, 149, 150, 200, 301].map((now) => t.due(now)),
    [true, false, false, true, false, true],
  );
  t.reset();
  assert.equal(t.due(302), true);
});

test('probabilities: top k, most likely first, the rest summed', () => {
  const bars = topProbabilities([0.05, 0.7, 0.2, 0.0004, 0.0496], ['a', 'b', 'c', 'd', 'e'], 3);
  assert.deepEqual(
    bars.map((b) => b.name),
    ['b', 'c', 'a', '2 other classes'],
  );
  assert.deepEqual(
    bars.map((b) => b.text),
    ['70.0%', '20.0%', '5.0%', '5.0%'],
  );
  assert.equal(formatProbability(0.0004), '<0.1%');
  assert.equal(formatProbability(0), '0.0%');
  assert.equal(topProbabilities([0.5, 0.5], ['x', 'y']).length, 2, 'no "other" line when all fit');
  assert.deepEqual(
    topProbabilities([0.5, 0.5], ['x', 'y']).map((b) => b.index),
    [0, 1],
    'ties keep class order',
  );
});

test('activations of a real convolution: one plane per channel, in a near-square grid', async () => {
  const model = buildModel({
    version: 1,
    name: 'a',
    input: { shape: [6, 5, 1] },
    layers: [
      { id: 'conv', type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
      { id: 'flat', type: 'flatten' },
      { id: 'out', type: 'dense', units: 4, activation: 'softmax' },
    ],
  });
  const input = tf.randomUniform([1, 6, 5, 1], 0, 1, 'float32', 3);
  const [conv, out] = await layerActivations(model, input, ['conv', 'out']);
  const values = tf.tidy(() => (model.getLayer('conv').apply(input) as tf.Tensor).dataSync());
  const planes = channelPlanes(decodeBase64(conv.base64), 4, 3, 3);
  assert.deepEqual(conv.shape, [4, 3, 3]);
  assert.equal(planes.length, 3);
  // Channel 2 of pixel (1, 2) is value (1 * 3 + 2) * 3 + 2 of the layer's output, quantised.
  const v = values[(1 * 3 + 2) * 3 + 2];
  assert.ok(
    Math.abs(dequantise(planes[2][1 * 3 + 2], conv.min, conv.max) - v) <= (conv.max - conv.min) / 255,
    'the plane holds that channel',
  );
  assert.equal(decodeBase64(out.base64).length, 4, 'a dense output is one strip of its units');
  assert.throws(() => channelPlanes(new Uint8Array(5), 2, 2, 2), /expected 8 values for \[2, 2, 2\], got 5/);
  input.dispose();
  model.dispose();
  assert.deepEqual(gridLayout(32), { columns: 6, rows: 6 });
  assert.deepEqual(gridLayout(8), { columns: 3, rows: 3 });
  assert.deepEqual(gridLayout(1), { columns: 1, rows: 1 });
  assert.deepEqual(gridLayout(64), { columns: 8, rows: 8 });
  assert.ok(gridLayout(128).columns <= 8, 'never wider than the maximum');
  assert.deepEqual(gridLayout(0), { columns: 0, rows: 0 });
});

test('tabular form: numbers in feature order, each bad field named', () => {
  assert.deepEqual(parseFeatures(['sepal length', 'petal width'], [' 5.1 ', '0.2']), { ok: true, values: [5.1, 0.2] });
  assert.deepEqual(parseFeatures(['a', 'b', 'c'], ['1', '', 'x1']), {
    ok: false,
    errors: ['b: enter a number', 'c: "x1" is not a number'],
  });
});

test('decision boundary: a raster of the predicted class under the plane, and clicks mapped to the plane', async () => {
  const plane = { xMin: -2, xMax: 2, yMin: -1, yMax: 1 };
  assert.deepEqual(cellCentre(plane, 4, 2, 0, 0), [-1.5, 0.5], 'row 0 is the top');
  assert.equal(gridPoints(plane, 4, 2).length, 8);
  // A real one-unit model: class 1 where x > 0.
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [2],
        units: 2,
        activation: 'softmax',
        weights: [
          tf.tensor2d([
            [-5, 5],
            [0, 0],
          ]),
          tf.zeros([2]),
        ],
      }),
    ],
  });
  const raster = await computeBoundary(plane, 4, 2, 2, async (points) => {
    const out = model.predict(tf.tensor2d(points)) as tf.Tensor;
    return out.data();
  });
  model.dispose();
  assert.deepEqual([...raster.classes], [0, 0, 1, 1, 0, 0, 1, 1]);
  assert.ok(raster.confidence[0] > raster.confidence[1], 'more confident far from the boundary');
  assert.throws(() => boundaryRaster([0.5, 0.5], 2, 2, 2), /expected 8 probabilities \(4 points × 2 classes\), got 2/);
  assert.deepEqual(pixelToPlane(plane, 400, 200, 300, 50), [1, 0.5]);
  assert.deepEqual(planeToPixel(plane, 400, 200, 1, 0.5), [300, 50]);
  const around = planeAround([
    [0, 0],
    [10, 5],
  ]);
  assert.deepEqual(around, { xMin: -1, xMax: 11, yMin: -0.5, yMax: 5.5 });
});
