/**
 * The original Stitch's `POST /api/train` body keeps working: the converter accepts its layer lists and
 * React Flow graphs with Keras names, and the route trains the result or answers 422 with the path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertOriginalBody } from '../../../src/shared/original';
import { analyzeSchema } from '../../../src/shared/schema';
import { startTestServer, waitForState } from '../serverHarness';

test('a Keras-style layer list with form strings converts to a valid schema (MNIST MLP gets a flatten)', () => {
  const { schema, errors } = convertOriginalBody(
    [
      { type: 'Dense', units: '128', activation: 'relu' },
      { type: 'Dropout', rate: 0.2 },
      { type: 'Dense', params: { units: 10, activation: 'softmax' } },
    ],
    { epochs: '2', batch_size: 64, learning_rate: 0.01, optimizer: 'SGD', dataset: 'MNIST' },
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(schema.input, { shape: [28, 28, 1] });
  assert.deepEqual(
    schema.layers.map((l) => l.type),
    ['flatten', 'dense', 'dropout', 'dense'],
  );
  assert.equal(schema.layers[1].units, 128);
  assert.deepEqual(schema.training, {
    dataset: 'mnist',
    epochs: 2,
    batchSize: 64,
    optimizer: { type: 'sgd', learningRate: 0.01 },
  });
  assert.equal(analyzeSchema(schema).valid, true);
});

test('a React Flow graph (nodes out of order, a branch) converts with inputs where it is not a chain', () => {
  const { schema, errors } = convertOriginalBody(
    {
      nodes: [
        { id: 'n3', type: 'custom', data: { label: 'Concatenate' } },
        { id: 'n0', type: 'custom', data: { layerType: 'Input', params: { shape: [2] } } },
        { id: 'n1', type: 'custom', data: { layerType: 'Dense', params: { units: 4, activation: 'relu' } } },
        { id: 'n2', type: 'custom', data: { layerType: 'Dense', params: { units: 4, activation: 'tanh' } } },
        { id: 'n4', type: 'custom', data: { layerType: 'Dense', params: { units: 2, activation: 'softmax' } } },
      ],
      edges: [
        { source: 'n0', target: 'n1' },
        { source: 'n0', target: 'n2' },
        { source: 'n1', target: 'n3' },
        { source: 'n2', target: 'n3' },
        { source: 'n3', target: 'n4' },
      ],
    },
    { dataset: 'xor', epochs: 1 },
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    schema.layers.map((l) => [l.id, l.type, l.inputs]),
    [
      ['n1', 'dense', undefined],
      ['n2', 'dense', ['input']],
      ['n3', 'concatenate', ['n1', 'n2']],
      ['n4', 'dense', undefined],
    ],
  );
  assert.equal(analyzeSchema(schema).valid, true);
});

test('what cannot be converted is reported with its path in the original body', () => {
  const { errors } = convertOriginalBody([{ type: 'Conv3D', filters: 2 }, 'nope'], { dataset: 'mnist' });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['architecture[1]', 'architecture[0].type'],
  );
  assert.match(errors[1].message, /unknown layer type "Conv3D"/);
  assert.deepEqual(
    convertOriginalBody({ nodes: [{ id: 'a', type: 'Dense' }], edges: [{ source: 'a', target: 'a' }] }, {}).errors.map(
      (e) => e.path,
    ),
    ['architecture.nodes[0]'],
  );
});

test('POST /api/train with the original body trains; an unconvertible one is a 422 naming the path', async () => {
  const server = await startTestServer();
  try {
    const ok = await server.api('/api/train', {
      method: 'POST',
      json: {
        architecture: [
          { type: 'Dense', units: 8, activation: 'relu', input_shape: [2] },
          { type: 'Dense', units: 2, activation: 'softmax' },
        ],
        hyperparams: { epochs: 1, batch_size: 16, dataset: 'xor' },
      },
    });
    assert.equal(ok.status, 202);
    const { run_id } = (await ok.json()) as { run_id: string };
    assert.equal(await waitForState(server, run_id, ['succeeded', 'failed']), 'succeeded');
    const bad = await server.api('/api/train', {
      method: 'POST',
      json: { architecture: [{ type: 'Dense', units: 0 }], hyperparams: { dataset: 'xor' } },
    });
    assert.equal(bad.status, 422);
    const body = (await bad.json()) as { error: string; errors: { path: string }[] };
    assert.deepEqual(
      body.errors.map((e) => e.path),
      ['layers[0].units'],
    );
    assert.match(body.error, /after converting \{ architecture, hyperparams \}/);
  } finally {
    await server.stop();
  }
});
