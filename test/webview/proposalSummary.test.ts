// Chat proposals as a compact card (webview/chat/proposalSummary.ts, chatStore.syncApplied): where each
// layer goes, the parameter delta from the schema core, the JSON kept out of the message, and Apply offered
// again once the document no longer has the applied proposal (Ctrl+Z).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSchema } from '../../src/shared/schema';
import { applyChatEvent, emptyChat, startRequest, syncApplied } from '../../webview/chat/chatStore';
import { hideSchemaBlocks, inferredParams, paramDelta, summarizeProposal } from '../../webview/chat/proposalSummary';

const mnist = JSON.parse(readFileSync(join(__dirname, '../../examples/mnist-cnn.stitch.json'), 'utf8')) as {
  layers: Record<string, unknown>[];
};

function withExtraDense(): typeof mnist {
  const layers = [...mnist.layers];
  layers.splice(layers.length - 1, 0, { id: 'hidden', type: 'dense', units: 32, activation: 'relu' });
  return { ...mnist, layers: layers.filter((l) => l.id !== 'drop') };
}

test('the summary says where each layer goes and what the parameters become', () => {
  const proposed = withExtraDense();
  const summary = summarizeProposal(mnist, proposed);
  assert.deepEqual(
    summary.lines.map((l) => `${l.kind} ${l.text}`),
    ['added hidden (dense) between flat and out', 'removed drop (dropout), was between flat and out'],
  );
  assert.equal(summary.params.before, analyzeSchema(mnist).params);
  assert.equal(summary.params.after, analyzeSchema(proposed).params);
  assert.ok(summary.params.after > 0 && summary.params.after !== summary.params.before);
  const d = summary.params.after - summary.params.before;
  assert.match(
    paramDelta(summary.params),
    new RegExp(`\\(${d < 0 ? '−' : '\\+'}${Math.abs(d).toLocaleString('en-US')}\\)$`),
  );
  // A schema with a problem still counts the layers whose shapes can be inferred.
  const broken = { ...mnist, layers: [...mnist.layers, { id: 'bad', type: 'dense' }] };
  assert.ok(inferredParams(broken) >= analyzeSchema(mnist).params);
});

test('the JSON block of a proposal stays out of the message, also while it streams', () => {
  const json = JSON.stringify(mnist, null, 2);
  const text = `I added a dense layer.\n\n\`\`\`json\n${json}\n\`\`\`\n\nTrain it again.`;
  const shown = hideSchemaBlocks(text);
  assert.ok(!shown.includes('"layers"') && shown.includes('Train it again.') && shown.includes('summarized below'));
  assert.ok(
    !hideSchemaBlocks(`Here:\n\`\`\`json\n{ "layers": [\n  { "id"`).includes('"id"'),
    'an unfinished block is hidden',
  );
  assert.equal(hideSchemaBlocks('```python\nprint(1)\n```'), '```python\nprint(1)\n```');
});

test('after Undo the card offers Apply again; redoing marks it applied', () => {
  const state = emptyChat();
  const id = startRequest(state, 'add a dense layer');
  const proposed = withExtraDense();
  applyChatEvent(state, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, mnist);
  applyChatEvent(state, id, { type: 'done' }, mnist);
  const card = state.messages[1].proposal!;
  assert.equal(card.status, 'pending');
  assert.deepEqual(syncApplied(state, mnist), [], 'nothing changes while the document is as before');
  card.status = 'applied';
  // The document now holds the proposal (with the editor's layout kept): still applied.
  assert.deepEqual(syncApplied(state, { ...proposed, layout: { out: { x: 1, y: 2 } } }), []);
  // Ctrl+Z: the document is back to the old schema.
  assert.equal(syncApplied(state, mnist).length, 1);
  assert.equal(card.status, 'pending');
  // Ctrl+Y: applied again.
  syncApplied(state, proposed);
  assert.equal(card.status, 'applied');
});
