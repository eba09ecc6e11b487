// The visual editor's intents → text edits (src/extension/visualEditor/schemaEdits.ts), checked by parsing the
// result and running the schema core over it, the way the editor would see it.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyIntentToText, minimalEdit, starterText } from '../../../src/extension/visualEditor/schemaEdits';
import { analyzeSchema, analyzeSchemaText } from '../../../src/shared/schema';
import type { EditIntent } from '../../../src/shared/webviewProtocol';

const mnist = readFileSync(join(__dirname, '../../../examples/mnist-cnn.stitch.json'), 'utf8');
const residual = readFileSync(join(__dirname, '../../../examples/residual-cnn.stitch.json'), 'utf8');

function apply(text: string, intent: EditIntent): string {
  const result = applyIntentToText(text, intent);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.text;
}
function noProblemsIn(text: string): void {
  assert.deepEqual(
    analyzeSchema(JSON.parse(text)).problems.map((p) => `${p.path}: ${p.message}`),
    [],
  );
}
const layers = (text: string) =>
  (JSON.parse(text) as { layers: { id: string; type: string; inputs?: string[] }[] }).layers;

describe('intents as edits', () => {
  test('layer/add without a selection goes before the output layer, wired in; the edit is one small span', () => {
    const after = apply(mnist, { type: 'layer/add', layerType: 'dense' });
    const added = layers(after).at(-2)!;
    assert.deepEqual(added, { id: 'dense1', type: 'dense', units: 64, activation: 'relu' });
    assert.equal(layers(after).at(-1)!.id, layers(mnist).at(-1)!.id, 'the output layer stays last');
    assert.equal(analyzeSchemaText(after).valid, true, 'no new problem: Train stays enabled');
    const edit = minimalEdit(mnist, after)!;
    assert.equal(edit.length, 0, 'pure insertion');
    assert.ok(edit.content.includes('dense1"') && !edit.content.includes('"training"'), edit.content);
    // The description, formatting and other layers are untouched.
    assert.equal(mnist.slice(0, edit.offset) + mnist.slice(edit.offset), mnist);
  });

  test('layer/add after a selected layer inserts into the chain, with a saved position', () => {
    const after = apply(mnist, {
      type: 'layer/add',
      layerType: 'batchNormalization',
      afterId: 'conv1',
      position: { x: 10.4, y: 20.6 },
    });
    assert.deepEqual(
      layers(after)
        .map((l) => l.id)
        .slice(0, 3),
      ['conv1', 'batchNormalization1', 'pool1'],
    );
    assert.deepEqual(JSON.parse(after).layout, { batchNormalization1: { x: 10, y: 21 } });
    assert.equal(analyzeSchemaText(after).valid, true);
  });

  test('layer/add into an edge: implicit and explicit consumers (residual-cnn stays valid)', () => {
    // conv1 → pool1 is implicit in mnist-cnn.
    const chain = apply(mnist, {
      type: 'layer/add',
      layerType: 'batchNormalization',
      intoEdge: { from: 'conv1', to: 'pool1' },
    });
    assert.deepEqual(
      layers(chain)
        .map((l) => l.id)
        .slice(0, 3),
      ['conv1', 'batchNormalization1', 'pool1'],
    );
    assert.equal(layers(chain)[1].inputs, undefined);
    assert.equal(analyzeSchemaText(chain).valid, true);
    // stem → skip is an explicit skip connection: the new layer takes stem, skip takes the new layer.
    const skipEdge = layers(residual).find((l) => l.id === 'skip')!;
    assert.ok(skipEdge.inputs?.includes('stem'));
    const skip = apply(residual, { type: 'layer/add', layerType: 'dropout', intoEdge: { from: 'stem', to: 'skip' } });
    const placed = layers(skip);
    const at = placed.findIndex((l) => l.id === 'dropout1');
    assert.equal(placed[at + 1].id, 'skip');
    assert.deepEqual(placed[at].inputs, ['stem']);
    assert.deepEqual(
      placed[at + 1].inputs,
      skipEdge.inputs!.map((s) => (s === 'stem' ? 'dropout1' : s)),
    );
    noProblemsIn(skip);
    // Without a selection in residual-cnn (its output has explicit inputs or not), the model stays valid.
    noProblemsIn(apply(residual, { type: 'layer/add', layerType: 'dropout' }));
    assert.deepEqual(
      applyIntentToText(mnist, { type: 'layer/add', layerType: 'dense', intoEdge: { from: 'conv1', to: 'flat' } }),
      { ok: false, error: '"flat" does not take its input from "conv1"' },
    );
  });

  test('a merge layer is added with two sources', () => {
    const after = apply(mnist, { type: 'layer/add', layerType: 'add', afterId: 'pool1' });
    assert.deepEqual(layers(after)[2].inputs, ['conv1', 'pool1']);
  });

  test('layer/update sets and removes a parameter; the core then sees the new shape', () => {
    const after = apply(mnist, { type: 'layer/update', id: 'conv1', key: 'filters', value: 16 });
    assert.deepEqual(analyzeSchemaText(after).shapes.conv1.outputShape, [26, 26, 16]);
    const removed = apply(after, { type: 'layer/update', id: 'conv1', key: 'activation', value: undefined });
    assert.equal((layers(removed)[0] as Record<string, unknown>).activation, undefined);
    assert.equal(applyIntentToText(mnist, { type: 'layer/update', id: 'nope', key: 'units', value: 1 }).ok, false);
    assert.equal(applyIntentToText(mnist, { type: 'layer/update', id: 'conv1', key: 'id', value: 'x' }).ok, false);
  });

  test('layer/rename renames references in inputs and layout', () => {
    const withLayout = apply(residual, { type: 'layout/set', positions: { stem: { x: 1, y: 2 } } });
    const after = apply(withLayout, { type: 'layer/rename', id: 'stem', newId: 'entry' });
    const parsed = JSON.parse(after) as {
      layers: { id: string; inputs?: string[] }[];
      layout: Record<string, unknown>;
    };
    assert.ok(parsed.layers.some((l) => l.id === 'entry'));
    assert.ok(!after.includes('"stem"'), 'no reference to the old id is left');
    assert.deepEqual(parsed.layout, { entry: { x: 1, y: 2 } });
    assert.equal(analyzeSchemaText(after).valid, true);
    assert.equal(applyIntentToText(residual, { type: 'layer/rename', id: 'stem', newId: 'input' }).ok, false);
  });

  test("layer/delete reconnects consumers to the deleted layer's sources", () => {
    const ids = layers(residual).map((l) => l.id);
    const merge = layers(residual).find((l) => l.type === 'add')!;
    const victim = merge.inputs![0];
    const after = apply(residual, { type: 'layer/delete', ids: [victim] });
    assert.ok(!layers(after).some((l) => l.id === victim));
    assert.equal(layers(after).length, ids.length - 1);
    const newMerge = layers(after).find((l) => l.type === 'add')!;
    assert.ok(!newMerge.inputs!.includes(victim), `inputs ${String(newMerge.inputs)}`);
    assert.ok(newMerge.inputs!.length >= 1);
  });

  test('layer/duplicate inserts copies right after the originals', () => {
    const after = apply(mnist, { type: 'layer/duplicate', ids: ['conv1', 'drop'] });
    const list = layers(after).map((l) => l.id);
    assert.deepEqual(list.slice(0, 2), ['conv1', 'conv2d1']);
    assert.equal(list[list.indexOf('drop') + 1], 'dropout1');
  });

  // residual-cnn names conv_b explicitly (skip = add(stem, conv_b)): a layer inserted after conv_b must take
  // its place for skip, and a copy of skip must not leave skip unconsumed.
  const noProblems = (text: string) => {
    const problems = analyzeSchema(JSON.parse(text)).problems;
    assert.deepEqual(
      problems.map((p) => `${p.path}: ${p.message}`),
      [],
    );
  };
  test('inserting after a layer with explicit consumers rewires them (residual-cnn stays valid)', () => {
    noProblems(residual);
    const dense = apply(residual, { type: 'layer/add', layerType: 'batchNormalization', afterId: 'conv_b' });
    assert.deepEqual(layers(dense).find((l) => l.id === 'skip')!.inputs, ['stem', 'batchNormalization1']);
    noProblems(dense);
    const dupConv = apply(residual, { type: 'layer/duplicate', ids: ['conv_b'] });
    assert.deepEqual(
      layers(dupConv)
        .map((l) => l.id)
        .slice(2, 5),
      ['conv_b', 'conv2d1', 'skip'],
    );
    assert.deepEqual(layers(dupConv).find((l) => l.id === 'skip')!.inputs, ['stem', 'conv2d1']);
    noProblems(dupConv);
    const dupSkip = apply(residual, { type: 'layer/duplicate', ids: ['skip'] });
    assert.deepEqual(layers(dupSkip).find((l) => l.id === 'add1')!.inputs, ['skip', 'conv_b']);
    noProblems(dupSkip);
    noProblems(apply(residual, { type: 'layer/duplicate', ids: ['conv_a', 'conv_b', 'skip', 'relu'] }));
    noProblems(apply(residual, { type: 'layer/add', layerType: 'add', afterId: 'conv_b' }));
  });

  test('a batch (an edge moved) is applied as one edit', () => {
    // Drag the edge pool1 → conv2 onto flat: conv2 loses its source, flat gains pool1.
    const moved = apply(mnist, {
      type: 'batch',
      intents: [
        { type: 'edge/disconnect', from: 'pool1', to: 'conv2' },
        { type: 'edge/connect', from: 'pool1', to: 'flat' },
      ],
    });
    assert.deepEqual(layers(moved)[2].inputs, []);
    assert.deepEqual(layers(moved)[4].inputs, ['pool1']);
    const edit = minimalEdit(mnist, moved)!;
    assert.equal(mnist.slice(0, edit.offset) + edit.content + mnist.slice(edit.offset + edit.length), moved);
    const failed = applyIntentToText(mnist, {
      type: 'batch',
      intents: [
        { type: 'edge/disconnect', from: 'pool1', to: 'conv2' },
        { type: 'edge/connect', from: 'pool1', to: 'nope' },
      ],
    });
    assert.deepEqual(failed, { ok: false, error: 'there is no layer "nope"' });
  });

  test('edge/connect and edge/disconnect write inputs', () => {
    const connected = apply(mnist, { type: 'edge/connect', from: 'conv1', to: 'conv2' });
    assert.deepEqual(layers(connected)[2].inputs, ['conv1']);
    const problems = analyzeSchemaText(connected).problems.map((p) => p.code);
    assert.ok(problems.includes('unreachable'), `pool1 now feeds nothing: ${problems.join(', ')}`);
    const merged = apply(residual, {
      type: 'edge/connect',
      from: 'input',
      to: layers(residual).find((l) => l.type === 'add')!.id,
    });
    assert.equal(
      layers(merged)
        .find((l) => l.type === 'add')!
        .inputs!.at(-1),
      'input',
    );
    const cut = apply(mnist, { type: 'edge/disconnect', from: 'pool1', to: 'conv2' });
    assert.deepEqual(layers(cut)[2].inputs, []);
    assert.ok(
      analyzeSchemaText(cut).problems.some((p) => p.path.startsWith('layers[2]')),
      'the cut edge is flagged on conv2',
    );
  });

  test('text with a JSON syntax error is not edited (the edit would land in the wrong place); comments and trailing commas are fine', () => {
    const move = { type: 'layout/set', positions: { conv1: { x: 5, y: 6 } } } as const;
    const noBracket = mnist.replace(/\]\s*,\s*"training"/, ',\n  "training"'); // the layers' `]` missing
    assert.notEqual(noBracket, mnist);
    for (const broken of [noBracket, mnist.replace(/\}\s*$/, '')]) {
      const result = applyIntentToText(broken, move);
      assert.ok(!result.ok, 'applied to broken text');
      assert.match(result.error, /JSON syntax error \(\w+ on line \d+\); fix the text first/);
      const batch = applyIntentToText(broken, { type: 'batch', intents: [move] });
      assert.equal(batch.ok, false, 'a batch applied to broken text');
    }
    const commented = mnist.replace('{', '{\n  // my notes').replace(/\]\s*,\s*"training"/, '],\n  "training"');
    assert.match(apply(commented, move), /my notes/);
  });

  test('layout/set and training/update', () => {
    const laid = apply(mnist, { type: 'layout/set', positions: { conv1: { x: 0, y: 0 }, pool1: { x: 0, y: 100 } } });
    assert.deepEqual(Object.keys(JSON.parse(laid).layout), ['conv1', 'pool1']);
    const moved = apply(laid, { type: 'layout/set', positions: { pool1: { x: 5, y: 105 } } });
    assert.deepEqual(JSON.parse(moved).layout.pool1, { x: 5, y: 105 });
    const trained = apply(mnist, { type: 'training/update', path: ['epochs'], value: 7 });
    assert.equal(JSON.parse(trained).training.epochs, 7);
    assert.equal(minimalEdit(mnist, trained)!.content, '7');
  });

  test('an empty file starts from a trainable skeleton on the first palette click', () => {
    const after = apply('', { type: 'layer/add', layerType: 'flatten' });
    const next = apply(apply(after, { type: 'layer/add', layerType: 'dense' }), {
      type: 'layer/update',
      id: 'dense1',
      key: 'units',
      value: 10,
    });
    const softmax = apply(next, { type: 'layer/update', id: 'dense1', key: 'activation', value: 'softmax' });
    const analysis = analyzeSchemaText(softmax);
    assert.equal(analysis.valid, true, JSON.stringify(analysis.problems));
    assert.ok(starterText('x').includes('"mnist"'));
    assert.equal(applyIntentToText('[1]', { type: 'layer/add', layerType: 'dense' }).ok, false);
  });
});
