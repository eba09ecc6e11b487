// The Evaluate and Test tabs' host side (src/extension/panels/{evaluationController,testController,
// runModelView}.ts) against a real server with real runs: a small MNIST CNN (the drawing pad, feature maps)
// and a spiral MLP (the decision boundary), read through the one HTTP client, answered as panel messages.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { StitchClient } from '../../../src/shared/client';
import type { PanelHostMessage } from '../../../src/shared/webviewProtocol';
import { EvaluationController } from '../../../src/extension/panels/evaluationController';
import { TestController } from '../../../src/extension/panels/testController';
import {
  csvFeatureNames,
  inputKind,
  inspectableLayers,
  MAX_ACTIVATION_VALUES,
} from '../../../src/extension/panels/runModelView';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../../server/serverHarness';

const cnn: StitchSchema = {
  version: 1,
  name: 'tiny-cnn',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'conv1', type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { id: 'pool1', type: 'maxPooling2d', poolSize: 2 },
    { id: 'flat', type: 'flatten' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', epochs: 1, batchSize: 32, maxSamples: 256, testSamples: 200, seed: 1 },
};

let server: TestServer;
let cnnRun: string;
let spiralRun: string;
const sent: PanelHostMessage[] = [];
let evaluation: EvaluationController;
let testing: TestController;

before(async () => {
  server = await startTestServer({ backend: 'wasm' });
  cnnRun = await submit(server, cnn);
  spiralRun = await submit(server, spiralSchema({ epochs: 2 }));
  for (const run of [cnnRun, spiralRun])
    assert.equal(
      await waitForState(server, run, ['succeeded', 'failed'], 120_000),
      'succeeded',
      server.logs.join('\n'),
    );
  const client = new StitchClient(server.url);
  evaluation = new EvaluationController(
    () => Promise.resolve(client),
    (m) => sent.push(m),
  );
  testing = new TestController(
    () => Promise.resolve(client),
    (m) => sent.push(m),
  );
});
after(() => server.stop());

const last = <T extends PanelHostMessage['type']>(type: T): Extract<PanelHostMessage, { type: T }> => {
  const found = sent.filter((m) => m.type === type).at(-1);
  assert.ok(found, `a "${type}" message`);
  return found as Extract<PanelHostMessage, { type: T }>;
};

test('an image run: its evaluation, model summary, the drawing pad and the conv/pool/dense layers to look inside', async () => {
  await evaluation.load(cnnRun);
  const { view, error } = last('model');
  assert.equal(error, undefined);
  assert.ok(view);
  assert.equal(view.runId, cnnRun);
  assert.equal(view.input, 'drawing');
  assert.equal(view.evaluation?.samples, 200);
  assert.deepEqual(view.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(
    view.summary?.rows.map((r) => [r.id, r.className, r.params]),
    [
      ['conv1', 'Conv2D', 40],
      ['pool1', 'MaxPooling2D', 0],
      ['flat', 'Flatten', 0],
      ['out', 'Dense', 13 * 13 * 4 * 10 + 10],
    ],
  );
  assert.deepEqual(
    view.layers.map((l) => [l.id, l.outputShape]),
    [
      ['conv1', [26, 26, 4]],
      ['pool1', [13, 13, 4]],
      ['out', [10]],
    ],
  );
});

test("a confusion cell's samples come with their images; a bad cell is answered with the server's reason", async () => {
  const view = last('model').view;
  assert.ok(view?.evaluation);
  const cell = Object.keys(view.evaluation.cells)[0];
  await evaluation.cell(cnnRun, cell);
  const answer = last('evaluation/cell');
  assert.equal(answer.error, undefined);
  assert.equal(answer.samples.length, view.evaluation.cells[cell].length);
  assert.equal(answer.samples[0].image?.width, 28);
  await evaluation.cell(cnnRun, 'x');
  assert.match(last('evaluation/cell').error ?? '', /give the true and predicted class as "t,p"/);
});

test('a drawing is predicted: ten probabilities summing to 1, and the activations of the layers asked for', async () => {
  const input = new Array<number>(784).fill(0);
  for (let y = 6; y < 22; y++) input[y * 28 + 14] = 1; // a "1"
  await testing.predict({
    type: 'test/predict',
    requestId: 7,
    runId: cnnRun,
    input,
    image: true,
    activations: ['conv1', 'pool1', 'out'],
  });
  const result = last('test/result');
  assert.equal(result.error, undefined);
  assert.equal(result.requestId, 7);
  assert.ok(result.probabilities);
  assert.equal(result.probabilities.length, 10);
  assert.ok(Math.abs(result.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  assert.deepEqual(
    result.activations.map((a) => [a.id, a.shape]),
    [
      ['conv1', [26, 26, 4]],
      ['pool1', [13, 13, 4]],
      ['out', [10]],
    ],
  );
  await testing.predict({
    type: 'test/predict',
    requestId: 8,
    runId: cnnRun,
    input: [1, 2],
    image: true,
    activations: [],
  });
  assert.match(last('test/result').error ?? '', /takes 784 numbers/);
});

test('a 2-D run: the decision boundary input with the test points; a click on the plane is predicted', async () => {
  await evaluation.load(spiralRun);
  const view = last('model').view;
  assert.ok(view);
  assert.equal(view.input, 'points');
  assert.ok(view.points.length > 0);
  assert.ok(view.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (p.label === 0 || p.label === 1)));
  await testing.predict({
    type: 'test/predict',
    requestId: 9,
    runId: spiralRun,
    input: [0.1, -0.2],
    image: false,
    activations: [],
  });
  assert.equal(last('test/result').probabilities?.length, 2);
  await testing.boundary({
    type: 'test/boundary',
    requestId: 10,
    runId: spiralRun,
    points: [
      [0, 0],
      [0.5, 0.5],
      [-1, 1],
    ],
  });
  const boundary = last('test/boundary');
  assert.equal(boundary.error, undefined);
  assert.ok(boundary.probabilities);
  assert.equal(boundary.probabilities.length, 3);
  assert.ok(boundary.probabilities.every((row) => row.length === 2));
});

test('an unknown run is answered with a message the tab can show', async () => {
  await evaluation.load('r_nope');
  const { view, error } = last('model');
  assert.equal(view, null);
  assert.match(error ?? '', /r_nope/);
});

test('input kinds, the activation bound and CSV feature names', () => {
  assert.equal(inputKind([28, 28, 1]), 'drawing');
  assert.equal(inputKind([2]), 'points');
  assert.equal(inputKind([4]), 'form');
  assert.equal(inputKind([32, 32, 3]), 'none');
  const big = { id: 'big', type: 'conv2d', outputShape: [128, 128, 32] };
  const chosen = inspectableLayers([
    big,
    { id: 'flat', type: 'flatten', outputShape: [100] },
    { id: 'pool', type: 'maxPooling2d', outputShape: [13, 13, 8] },
    { id: 'out', type: 'dense', outputShape: [10] },
  ]);
  assert.ok(128 * 128 * 32 > MAX_ACTIVATION_VALUES);
  assert.deepEqual(
    chosen.map((l) => l.id),
    ['pool', 'out'],
    'a layer over the bound and a flatten are left out',
  );
  const many = Array.from({ length: 20 }, (_, i) => ({ id: `d${String(i)}`, type: 'dense', outputShape: [4] }));
  assert.equal(inspectableLayers(many).length, 16);
  assert.deepEqual(csvFeatureNames('sepal_length,"sepal width",species,petal_length', 'species'), [
    'sepal_length',
    'sepal width',
    'petal_length',
  ]);
});
