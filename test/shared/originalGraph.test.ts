/**
 * The original canvas graph ⇄ our schema: chains in any listing order, errors at the canvas's paths,
 * proposals laid out left to right, and a round trip that keeps layers, params and order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { graphToSchema, schemaToGraph, type OriginalGraph } from '../../src/shared/originalGraph';
import { CHAIN, mnistCanvas } from '../server/chat/canvas';
import { analyzeSchema } from '../../src/shared/schema';

describe('the original canvas graph → our schema', () => {
  test('layers listed out of order become the chain along the edges, with our parameter names', () => {
    const { schema, errors } = graphToSchema(mnistCanvas());
    assert.deepEqual(errors, []);
    assert.deepEqual(schema.input, { shape: [28, 28, 1] });
    assert.deepEqual(schema.layers, [
      { id: 'conv-8b41', type: 'conv2d', filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
      { id: 'pool-55aa', type: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
      { id: 'flatten-d0', type: 'flatten' },
      { id: 'dense-19c2', type: 'dense', units: 64, activation: 'relu' },
      { id: 'dropout-3e', type: 'dropout', rate: 0.25 },
      { id: 'output-7f3a', type: 'dense', units: 10, activation: 'softmax' },
    ]);
    const analysis = analyzeSchema(schema);
    assert.deepEqual(
      analysis.problems.filter((p) => p.severity === 'error'),
      [],
    );
    assert.equal(analysis.params, 8 * 9 + 8 + 14 * 14 * 8 * 64 + 64 + 64 * 10 + 10);
  });

  test('a vector Input is [size]; "none" is linear; the order of the layers map does not matter', () => {
    const graph: OriginalGraph = {
      layers: {
        b: { id: 'b', kind: 'Output', params: { classes: 3, activation: 'softmax' }, position: { x: 0, y: 0 } },
        a: { id: 'a', kind: 'Dense', params: { units: 5, activation: 'none' }, position: { x: 0, y: 0 } },
        in: { id: 'in', kind: 'Input', params: { size: 4 }, position: { x: 0, y: 0 } },
      },
      edges: [
        { id: 'x', source: 'a', target: 'b' },
        { id: 'y', source: 'in', target: 'a' },
      ],
    };
    const { schema, errors } = graphToSchema(graph);
    assert.deepEqual(errors, []);
    assert.deepEqual(schema.input.shape, [4]);
    assert.deepEqual(
      schema.layers.map((l) => [l.id, l.activation]),
      [
        ['a', 'linear'],
        ['b', 'softmax'],
      ],
    );
  });

  test('each problem is reported at its path in the canvas graph', () => {
    const cases: { change: (g: OriginalGraph) => void; path: string; message: RegExp }[] = [
      {
        change: (g) => {
          (g.layers['conv-8b41'] as { kind: string }).kind = 'Conv3D';
        },
        path: 'layers["conv-8b41"].kind',
        message: /unknown kind "Conv3D"; use one of Input, Convolution/,
      },
      {
        change: (g) => {
          g.edges[3].target = 'ghost';
        },
        path: 'edges[3].target',
        message: /"ghost" is not a layer/,
      },
      {
        change: (g) => {
          g.edges.push({ id: 'branch', source: 'conv-8b41', target: 'dense-19c2' });
        },
        path: 'edges[6]',
        message: /already feeds "pool-55aa".*without branches/,
      },
      {
        change: (g) => {
          g.edges.push({ id: 'back', source: 'output-7f3a', target: 'conv-8b41' });
        },
        path: 'edges[6]',
        message: /already fed by another layer/,
      },
      {
        change: (g) => {
          g.edges.push({ id: 'in', source: 'output-7f3a', target: 'input-0001' });
        },
        path: 'edges[6].target',
        message: /Input layer; nothing can feed it/,
      },
      {
        change: (g) => {
          g.edges.splice(1, 1);
        },
        path: 'layers["conv-8b41"]',
        message: /not connected to the chain/,
      },
      {
        change: (g) => {
          g.edges.splice(2, 1);
        },
        path: 'layers["dropout-3e"]',
        message: /ends at "dropout-3e" \(Dropout\); connect an Output/,
      },
      {
        change: (g) => {
          g.layers['pool-55aa'].params.type = 'avg';
        },
        path: 'layers["pool-55aa"].params.type',
        message: /use "max"/,
      },
      {
        change: (g) => {
          g.layers['input-0001'].params = {};
        },
        path: 'layers["input-0001"].params',
        message: /"height" and "width"/,
      },
      {
        change: (g) => {
          delete (g.layers as Record<string, unknown>)['input-0001'];
          g.edges.splice(1, 1);
        },
        path: 'layers',
        message: /no Input layer/,
      },
    ];
    for (const { change, path, message } of cases) {
      const graph = mnistCanvas();
      change(graph);
      const { errors } = graphToSchema(graph);
      const hit = errors.find((e) => e.path === path);
      assert.ok(hit, `expected an error at ${path}, got ${JSON.stringify(errors)}`);
      assert.match(hit.message, message);
    }
    assert.equal(graphToSchema({ layers: [] }).errors[0].path, '');
  });

  test('a cycle of edges is reported once, and conversion ends', () => {
    const graph: OriginalGraph = {
      layers: {
        in: { id: 'in', kind: 'Input', params: { size: 2 }, position: { x: 0, y: 0 } },
        a: { id: 'a', kind: 'Dense', params: { units: 2 }, position: { x: 0, y: 0 } },
        b: { id: 'b', kind: 'Dense', params: { units: 2 }, position: { x: 0, y: 0 } },
      },
      edges: [
        { id: '1', source: 'in', target: 'a' },
        { id: '2', source: 'a', target: 'b' },
        { id: '3', source: 'b', target: 'a' },
      ],
    };
    const { errors } = graphToSchema(graph);
    assert.ok(
      errors.some((e) => e.path === 'edges[2]' && e.message.includes('already fed')),
      JSON.stringify(errors),
    );
  });
});

describe('our schema → the original canvas graph', () => {
  test('graph → schema → graph keeps the layers, their params, ids, edge ids and order, laid out left to right', () => {
    const canvas = mnistCanvas();
    const { graph, errors } = schemaToGraph(graphToSchema(canvas).schema as unknown as Record<string, unknown>, canvas);
    assert.deepEqual(errors, []);
    assert.deepEqual(Object.keys(graph.layers), CHAIN);
    for (const id of CHAIN) {
      assert.equal(graph.layers[id].kind, canvas.layers[id].kind, id);
      assert.deepEqual(graph.layers[id].params, canvas.layers[id].params, id);
    }
    assert.deepEqual(
      CHAIN.map((id) => graph.layers[id].position),
      CHAIN.map((_, i) => ({ x: i * 300, y: 200 })),
    );
    assert.deepEqual(
      graph.edges.map((e) => [e.source, e.target]),
      CHAIN.slice(1).map((id, i) => [CHAIN[i], id]),
    );
    assert.deepEqual(
      graph.edges.map((e) => e.id),
      ['e1', 'e2', 'e2b', 'e3', 'e4', 'e6'],
    );
  });

  test('a proposal without a previous canvas gets the canvas names, a changed layer gets new params', () => {
    const { schema } = graphToSchema(mnistCanvas());
    schema.layers[0] = { ...schema.layers[0], filters: 16, kernelSize: [5, 5] };
    const fresh = schemaToGraph(schema as unknown as Record<string, unknown>);
    assert.deepEqual(fresh.errors, []);
    assert.deepEqual(fresh.graph.layers.input.params, { size: 784, channels: 1, height: 28, width: 28 });
    assert.deepEqual(fresh.graph.layers['conv-8b41'].params, {
      filters: 16,
      kernel: 5,
      stride: 1,
      padding: 'same',
      activation: 'relu',
    });
    assert.deepEqual(fresh.graph.layers['pool-55aa'].params, {
      type: 'max',
      pool_size: 2,
      stride: 2,
      padding: 'valid',
    });
    assert.deepEqual(fresh.graph.layers['output-7f3a'], {
      id: 'output-7f3a',
      kind: 'Output',
      params: { classes: 10, activation: 'softmax' },
      position: { x: 1800, y: 200 },
    });
    assert.equal(fresh.graph.edges[0].id, 'input->conv-8b41');
    // Converting back gives the schema we started from.
    assert.deepEqual(
      graphToSchema(fresh.graph).schema.layers,
      schema.layers.map((l) => (l.id === 'conv-8b41' ? { ...l, kernelSize: 5 } : l)),
    );
  });

  test('what the canvas cannot show is an error at our path', () => {
    const base = { version: 1, input: { shape: [28, 28, 1] } };
    const cases: { layers: unknown[]; input?: unknown; path: string; message: RegExp }[] = [
      {
        layers: [
          { id: 'bn', type: 'batchNormalization' },
          { id: 'o', type: 'dense', units: 10, activation: 'softmax' },
        ],
        path: 'layers[0].type',
        message: /no layer on the original canvas/,
      },
      {
        layers: [
          { id: 'f', type: 'flatten' },
          { id: 'o', type: 'dense', units: 10, activation: 'sigmoid' },
        ],
        path: 'layers[1].activation',
        message: /softmax classifier/,
      },
      {
        layers: [
          { id: 'f', type: 'flatten' },
          { id: 'h', type: 'dense', units: 8, activation: 'elu' },
          { id: 'o', type: 'dense', units: 10, activation: 'softmax' },
        ],
        path: 'layers[1].activation',
        message: /relu, sigmoid, tanh and none/,
      },
      {
        layers: [
          { id: 'c', type: 'conv2d', filters: 2, kernelSize: [3, 5] },
          { id: 'f', type: 'flatten' },
          { id: 'o', type: 'dense', units: 10, activation: 'softmax' },
        ],
        path: 'layers[0].kernelSize',
        message: /square/,
      },
      {
        layers: [
          { id: 'f', type: 'flatten' },
          { id: 'o', type: 'dense', units: 10, activation: 'softmax', inputs: ['input'] },
        ],
        path: 'layers[1].inputs',
        message: /one chain/,
      },
      { layers: [{ id: 'f', type: 'flatten' }], path: 'layers[0]', message: /ends in an Output layer/ },
      {
        layers: [{ id: 'o', type: 'dense', units: 10, activation: 'softmax' }],
        input: { shape: [4, 4] },
        path: 'input.shape',
        message: /\[height, width, channels\]/,
      },
    ];
    for (const { layers, input, path, message } of cases) {
      const { errors } = schemaToGraph({ ...base, ...(input ? { input } : {}), layers });
      const hit = errors.find((e) => e.path === path);
      assert.ok(hit, `expected an error at ${path}, got ${JSON.stringify(errors)}`);
      assert.match(hit.message, message);
    }
  });
});
