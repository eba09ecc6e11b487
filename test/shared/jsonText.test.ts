// The shared formatting-preserving JSON edits (src/shared/jsonText.ts), as both the visual editor
// (schemaEdits) and the chat's proposals (proposalText) write them.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'jsonc-parser';
import { detectFormatting, minimalEdit, setJsonValue } from '../../src/shared/jsonText';
import { minimalReplacement, proposalText } from '../../src/extension/chat/proposalText';
import { applyIntentToText } from '../../src/extension/visualEditor/schemaEdits';

const mnist = readFileSync(join(__dirname, '../../examples/mnist-cnn.stitch.json'), 'utf8');
const conv1Line = '    { "id": "conv1", "type": "conv2d", "filters": 32, "kernelSize": 3, "activation": "relu" },';

describe('jsonText', () => {
  test('detectFormatting reads the indent unit and line end from the document', () => {
    assert.deepEqual(detectFormatting(mnist), { insertSpaces: true, tabSize: 2, eol: '\n' });
    assert.deepEqual(detectFormatting('{\r\n    "a": 1\r\n}\r\n'), { insertSpaces: true, tabSize: 4, eol: '\r\n' });
    assert.deepEqual(detectFormatting('{\n\t"a": {\n\t\t"b": 1\n\t}\n}'), {
      insertSpaces: false,
      tabSize: 4,
      eol: '\n',
    });
    assert.deepEqual(detectFormatting('{ "a": 1 }'), { insertSpaces: true, tabSize: 2, eol: '\n' });
  });

  test('a key added to a one-line object stays on its line, spaced like the file', () => {
    const after = setJsonValue(mnist, ['layers', 0, 'padding'], 'same');
    assert.ok(
      after.includes(
        '    { "id": "conv1", "type": "conv2d", "filters": 32, "kernelSize": 3, "activation": "relu", "padding": "same" },',
      ),
      after,
    );
    assert.equal(after.split('\n').length, mnist.split('\n').length);
  });

  test("a key added to a multi-line object uses the file's indentation and line ends", () => {
    const text = '{\r\n    "name": "x",\r\n    "training": {\r\n        "epochs": 1\r\n    }\r\n}\r\n';
    const after = setJsonValue(text, ['training', 'seed'], 7);
    assert.equal(
      after,
      '{\r\n    "name": "x",\r\n    "training": {\r\n        "epochs": 1,\r\n        "seed": 7\r\n    }\r\n}\r\n',
    );
  });

  test('removing the first entry of a one-line object keeps the space after the brace', () => {
    const text = '{\n  "layout": { "a": { "x": 1, "y": 2 }, "b": { "x": 3, "y": 4 } }\n}\n';
    assert.equal(setJsonValue(text, ['layout', 'a'], undefined), '{\n  "layout": { "b": { "x": 3, "y": 4 } }\n}\n');
    assert.equal(setJsonValue(text, ['layout', 'b'], undefined), '{\n  "layout": { "a": { "x": 1, "y": 2 } }\n}\n');
  });

  test("minimalEdit is the one span that changed; proposalText's minimalReplacement is the same span", () => {
    assert.equal(minimalEdit('abc', 'abc'), null);
    assert.deepEqual(minimalEdit('{"a": 1, "b": 2}', '{"a": 1, "b": 3}'), { offset: 14, length: 1, content: '3' });
    assert.deepEqual(minimalReplacement('{"a": 1, "b": 2}', '{"a": 1, "b": 3}'), { start: 14, end: 15, text: '3' });
  });

  test('a chat proposal and the visual editor write the same one-line layer', () => {
    const proposed = JSON.parse(mnist) as { layers: Record<string, unknown>[] };
    proposed.layers[0].padding = 'same';
    const fromChat = proposalText(mnist, proposed);
    const fromEditor = applyIntentToText(mnist, { type: 'layer/update', id: 'conv1', key: 'padding', value: 'same' });
    assert.ok(fromEditor.ok);
    assert.equal(fromChat, fromEditor.text);
    assert.ok(!fromChat.includes(conv1Line), 'conv1 changed');
    assert.equal(fromChat.split('\n').length, mnist.split('\n').length, 'still one line per layer');
  });

  test('a chat proposal that drops a layer removes its layout entry without losing spaces', () => {
    const text = mnist.replace(
      '\n  "training"',
      '\n  "layout": { "conv1": { "x": 0, "y": 0 }, "pool1": { "x": 0, "y": 80 } },\n  "training"',
    );
    const proposed = JSON.parse(mnist) as { layers: { id: string }[] };
    proposed.layers = proposed.layers.filter((l) => l.id !== 'conv1');
    const after = proposalText(text, proposed);
    assert.ok(after.includes('"layout": { "pool1": { "x": 0, "y": 80 } },'), after);
  });

  test('removing an item of a multi-line array takes its own comments and leaves the others', () => {
    const text = [
      '{',
      '  "layers": [',
      '    // the stem',
      '    { "id": "a" }, // wide',
      '    // the middle',
      '    { "id": "b" }, // narrow',
      '    // the head',
      '    { "id": "c" }',
      '  ]',
      '}',
      '',
    ].join('\n');
    const ids = (t: string) => (parse(t) as { layers: { id: string }[] }).layers.map((l) => l.id);
    const middle = setJsonValue(text, ['layers', 1], undefined);
    assert.deepEqual(ids(middle), ['a', 'c']);
    assert.equal(middle, text.replace('    // the middle\n    { "id": "b" }, // narrow\n', ''), middle);
    const first = setJsonValue(text, ['layers', 0], undefined);
    assert.equal(first, text.replace('    // the stem\n    { "id": "a" }, // wide\n', ''), first);
    const last = setJsonValue(text, ['layers', 2], undefined);
    assert.deepEqual(ids(last), ['a', 'b']);
    assert.equal(last, text.replace('}, // narrow\n    // the head\n    { "id": "c" }', '} // narrow'), last);
    // Without comments, as before: the lines go, the others stay byte for byte.
    const plain = '[\n  1,\n  2,\n  3\n]';
    assert.equal(setJsonValue(plain, [1], undefined), '[\n  1,\n  3\n]');
    assert.equal(setJsonValue(plain, [2], undefined), '[\n  1,\n  2\n]');
    assert.equal(setJsonValue(plain, [0], undefined), '[\n  2,\n  3\n]');
  });

  test("a proposal that adds or removes layers keeps each remaining layer's comments with it, once", () => {
    const text = [
      '{',
      '  "version": 1,',
      '  "input": { "shape": [784] },',
      '  "layers": [',
      '    { "id": "a", "type": "dense", "units": 256 }, // wide first',
      '    { "id": "b", "type": "dense", "units": 64 },',
      '    // head: do not touch',
      '    { "id": "head", "type": "dense", "units": 10, "activation": "softmax" }',
      '  ]',
      '}',
      '',
    ].join('\n');
    const current = JSON.parse(text.replace(/\/\/.*$/gm, '')) as { layers: { id: string }[] };
    const drop = { id: 'drop', type: 'dropout', rate: 0.2 };
    const added = proposalText(text, { ...current, layers: [...current.layers.slice(0, 2), drop, current.layers[2]] });
    const lines = added.split('\n');
    assert.equal(lines.filter((l) => l.includes('wide first')).length, 1, added);
    assert.match(
      lines.find((l) => l.includes('wide first'))!,
      /"id": "a".*\/\/ wide first$/,
    );
    assert.equal(lines.filter((l) => l.includes('head: do not touch')).length, 1, added);
    const head = lines.findIndex((l) => l.includes('"id": "head"'));
    assert.match(lines[head - 1], /\/\/ head: do not touch/, 'the comment above the head stays above it');
    assert.match(lines[head - 2], /"id": "drop"/);
    assert.equal((parse(added) as { layers: unknown[] }).layers.length, 4);
    // Removing a layer takes its own comment with it, and no other.
    const removed = proposalText(text, { ...current, layers: current.layers.slice(1) });
    assert.equal(removed.includes('wide first'), false, removed);
    assert.equal(removed.split('\n').filter((l) => l.includes('head: do not touch')).length, 1, removed);
    assert.deepEqual(
      (parse(removed) as { layers: { id: string }[] }).layers.map((l) => l.id),
      ['b', 'head'],
    );
  });
});
