// The graph the canvas draws (webview/editor/graphModel.ts), from real snapshots of the examples.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSnapshot } from '../../src/extension/visualEditor/editorSnapshot';
import { analyzeSchemaText, makeLargeSchemaText } from '../../src/shared/schema';
import {
  INPUT_NODE_ID,
  NODE_HEIGHT,
  buildGraphModel,
  keyParams,
  layerPositions,
} from '../../webview/editor/graphModel';
import { parseParamInput } from '../../webview/editor/paramValues';

const snap = (text: string) => buildSnapshot(text, analyzeSchemaText(text), 1, 'x.stitch.json');
const example = (name: string) => readFileSync(join(__dirname, `../../examples/${name}.stitch.json`), 'utf8');

describe('graph model', () => {
  test('one node per layer plus the input, edges for the chain, output marked, dagre top-to-bottom', () => {
    const model = buildGraphModel(snap(example('mnist-cnn')));
    assert.equal(model.nodes.length, 8);
    assert.equal(
      model.nodes
        .filter((n) => n.isOutput)
        .map((n) => n.id)
        .join(),
      'out',
    );
    assert.deepEqual(model.edges.map((e) => `${e.from}>${e.to}`).slice(0, 2), ['input>conv1', 'conv1>pool1']);
    const ys = model.nodes.map((n) => n.y);
    assert.ok(
      ys.every((y, i) => i === 0 || y >= ys[i - 1] + NODE_HEIGHT),
      'each layer below its source',
    );
    assert.equal(model.autoPlaced, true);
    assert.equal(keyParams(model.byId.get('conv1')!.layer!), '32 × 3×3 relu');
  });

  test('branches and merges of the residual example become edges', () => {
    const s = snap(example('residual-cnn'));
    const model = buildGraphModel(s);
    const merge = s.layers.find((l) => l.type === 'add')!;
    assert.equal(model.edges.filter((e) => e.to === merge.id).length, 2);
  });

  test('problems land on the node and the edge they are about', () => {
    const text = example('mnist-cnn').replace(
      '{ "id": "pool1", "type": "maxPooling2d", "poolSize": 2 }',
      '{ "id": "pool1", "type": "maxPooling2d", "poolSize": 2, "inputs": ["nowhere"] }',
    );
    const s = snap(text);
    assert.ok(
      buildGraphModel(s)
        .byId.get('pool1')!
        .problems.some((p) => p.code === 'unknown-input'),
      JSON.stringify(s.problems),
    );
    const big = snap(example('mnist-cnn').replace('"filters": 64, "kernelSize": 3', '"filters": 64, "kernelSize": 30'));
    const conv2 = buildGraphModel(big).byId.get('conv2')!;
    assert.ok(
      conv2.problems.some((p) => p.key === 'kernelSize' && p.severity === 'error'),
      JSON.stringify(big.problems),
    );
  });

  test('saved positions are kept; a new layer goes below its source without moving others', () => {
    const laid = example('mnist-cnn').replace(
      /\n}\s*$/,
      ',\n  "layout": { "conv1": { "x": 500, "y": 40 }, "pool1": { "x": 500, "y": 160 } }\n}\n',
    );
    const model = buildGraphModel(snap(laid));
    assert.deepEqual({ x: model.byId.get('conv1')!.x, y: model.byId.get('conv1')!.y }, { x: 500, y: 40 });
    const conv2 = model.byId.get('conv2')!;
    assert.equal(conv2.x, 500);
    assert.ok(conv2.y > 160);
    assert.ok(model.byId.get(INPUT_NODE_ID)!.y < 40);
    assert.equal(Object.keys(layerPositions(model)).length, 7);
  });

  test('200 layers: snapshot and layout well under the time of a few frames', () => {
    const text = makeLargeSchemaText(200);
    const started = performance.now();
    const model = buildGraphModel(snap(text));
    const ms = performance.now() - started;
    assert.ok(model.nodes.length > 200);
    assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`);
  });

  test('inspector values parse by parameter kind', () => {
    assert.deepEqual(parseParamInput({ name: 'kernelSize', kind: 'intOrPair' }, '3, 5'), { ok: true, value: [3, 5] });
    assert.deepEqual(parseParamInput({ name: 'kernelSize', kind: 'intOrPair' }, '3'), { ok: true, value: 3 });
    assert.deepEqual(parseParamInput({ name: 'units', kind: 'int' }, ''), { ok: true, value: undefined });
    assert.equal(parseParamInput({ name: 'units', kind: 'int' }, '2.5').ok, false);
    assert.deepEqual(parseParamInput({ name: 'targetShape', kind: 'shape' }, '7, 7, -1'), {
      ok: true,
      value: [7, 7, -1],
    });
  });
});
