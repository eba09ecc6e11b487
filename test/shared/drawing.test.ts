import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOX, centreDrawing, centreOfMass, FIELD, inkBounds, type Grayscale } from '../../src/shared/drawing';

function canvas(width: number, height: number, ink: (x: number, y: number) => number): Grayscale {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = ink(x, y);
  return { width, height, data };
}

test('a small stroke in a corner of a 280×280 pad becomes a 20-pixel box centred by mass in 28×28', () => {
  // A thick "7" drawn in the top-left corner: a bar and a diagonal.
  const pad = canvas(280, 280, (x, y) =>
    (y >= 10 && y < 22 && x >= 10 && x < 90) || (Math.abs(x - (90 - (y - 10) * 0.5)) < 6 && y >= 10 && y < 130) ? 1 : 0,
  );
  const field = centreDrawing(pad);
  const bounds = inkBounds({ width: FIELD, height: FIELD, data: field });
  assert.ok(bounds);
  assert.equal(Math.max(bounds.right - bounds.left, bounds.bottom - bounds.top), BOX);
  const com = centreOfMass(field, FIELD);
  assert.ok(com);
  assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, `centre of mass ${com.x}, ${com.y}`);
  assert.ok(field.every((v) => v >= 0 && v <= 1));
  assert.ok(
    field.some((v) => v > 0.05 && v < 0.95),
    'the diagonal is anti-aliased: some pixels are partly covered',
  );
});

test('the aspect ratio is kept: a tall thin stroke stays tall and thin', () => {
  const pad = canvas(200, 200, (x, y) => (x >= 100 && x < 113 && y >= 20 && y < 180 ? 1 : 0));
  const field = centreDrawing(pad);
  const b = inkBounds({ width: FIELD, height: FIELD, data: field });
  assert.ok(b);
  assert.equal(b.bottom - b.top, BOX);
  assert.ok(b.right - b.left <= 3, `width ${b.right - b.left}`);
});

test('an empty pad gives zeros; a drawing already MNIST-sized is only moved', () => {
  assert.ok(centreDrawing(canvas(50, 50, () => 0)).every((v) => v === 0));
  const square = canvas(28, 28, (x, y) => (x >= 2 && x < 22 && y >= 1 && y < 21 ? 1 : 0));
  const field = centreDrawing(square);
  assert.equal(
    field.reduce((a, b) => a + b, 0),
    400,
  );
  const com = centreOfMass(field, FIELD);
  assert.deepEqual(com, { x: 14, y: 14 });
});
