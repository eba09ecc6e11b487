/**
 * The extension's chat bookkeeping without VS Code: histories that a clear really clears (a turn still
 * running cannot write its answer back), and the panel's requests (which controller Stop aborts, which file
 * a proposal belongs to). The answer kept after a repair comes from the server (test/server/chat).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChatHistories } from '../../../src/extension/chat/chatHistory';
import { ChatRequests } from '../../../src/extension/chat/chatRequests';
import { MAX_HISTORY_MESSAGES } from '../../../src/shared/protocol';

const A = 'file:///w/a.stitch.json';
const B = 'file:///w/b.stitch.json';

describe('chat histories', () => {
  test('a turn that finishes after Clear does not restore the cleared history', () => {
    const histories = new ChatHistories();
    histories.remember(A, histories.begin(A), 'q1', 'a1');
    const running = histories.begin(A);
    histories.clear(A);
    assert.equal(histories.remember(A, running, 'q2', 'late answer'), false);
    assert.deepEqual(histories.get(A), []);
    assert.equal(histories.remember(A, histories.begin(A), 'q3', 'a3'), true, 'a turn started after the clear is kept');
    assert.equal(histories.get(A).length, 2);
  });

  test('clearing one file leaves the others; the history stays bounded', () => {
    const histories = new ChatHistories();
    for (let i = 0; i < 15; i++) histories.remember(B, histories.begin(B), `q${i}`, `a${i}`);
    const running = histories.begin(B);
    histories.clear(A);
    assert.equal(histories.remember(B, running, 'q', 'a'), true);
    assert.equal(histories.get(B).length, MAX_HISTORY_MESSAGES);
    assert.equal(histories.get(B).at(-1)!.content, 'a');
  });
});

describe('panel chat requests', () => {
  test('a finished request does not remove a newer controller under the same id (Stop keeps working)', () => {
    const requests = new ChatRequests();
    const old = requests.start(1, A);
    const next = requests.start(1, A);
    assert.equal(old.signal.aborted, true, 'the older request under that id is aborted');
    requests.finish(1, old);
    requests.stop(1);
    assert.equal(next.signal.aborted, true, 'Stop reached the newer request');
    requests.finish(1, next);
    assert.equal(requests.running, 0);
  });

  test("Clear aborts that file's requests only; a proposal stays tied to its file after the reply ends", () => {
    const requests = new ChatRequests();
    const a = requests.start(1, A);
    const b = requests.start(2, B);
    requests.stopDocument(A);
    assert.equal(a.signal.aborted, true);
    assert.equal(b.signal.aborted, false);
    requests.finish(1, a);
    requests.finish(2, b);
    assert.equal(requests.documentOf(1), A);
    assert.equal(requests.documentOf(2), B);
    assert.equal(requests.documentOf(3), undefined);
  });

  test("only the latest requests' files are remembered", () => {
    const requests = new ChatRequests(2);
    for (const id of [1, 2, 3]) requests.finish(id, requests.start(id, `${A}#${id}`));
    assert.equal(requests.documentOf(1), undefined);
    assert.equal(requests.documentOf(3), `${A}#3`);
  });
});
