/**
 * The answer the server sends in `done` for the client to keep as history: after a repair it holds the
 * repaired schema in place of the first one, and an answer without a proposal stays as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerForHistory } from '../../../src/server/chat/historyAnswer';

test('answerForHistory replaces the last schema block and keeps an answer without a proposal as it was', () => {
  const repaired = { version: 1, layers: [{ id: 'h', type: 'dense', units: 4 }] };
  const answer =
    'Example:\n```json\n{ "units": 3 }\n```\nThe schema:\n```jsonc\n{ "layers": [ { "id": "h" } ] } // bad\n```\nDone.';
  const kept = answerForHistory(answer, repaired);
  assert.equal(
    kept,
    `Example:\n\`\`\`json\n{ "units": 3 }\n\`\`\`\nThe schema:\n\`\`\`json\n${JSON.stringify(repaired, null, 2)}\n\`\`\`\nDone.`,
  );
  assert.equal(answerForHistory('Plain answer.', undefined), 'Plain answer.');
  assert.equal(answerForHistory(answer, null), answer, 'an unreadable proposal leaves the text');
  assert.match(answerForHistory('Via a tool call.', repaired), /Via a tool call\.\n\n```json\n\{\n {2}"version": 1/);
});
