/**
 * The chat's state in the webview (no DOM): request ids across clears, events after Stop or Clear, one
 * conversation per file, an unreadable proposal, and what each event asks the view to redraw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatStreamEvent } from '../../src/shared/protocol';
import { toChatEvent } from '../../src/shared/sse/chat';
import {
  applyChatEvent,
  ChatConversations,
  clearChat,
  emptyChat,
  startRequest,
  stopRequest,
} from '../../webview/chat/chatStore';

const current = {
  version: 1,
  input: { shape: [2] },
  layers: [
    { id: 'h', type: 'dense', units: 4 },
    { id: 'out', type: 'dense', units: 2 },
  ],
};
const proposed = { ...current, layers: [...current.layers, { id: 'drop', type: 'dropout', rate: 0.1 }] };

describe('chat state', () => {
  test("Clear during a reply: the next request gets a new id, the old reply's late events land nowhere", () => {
    const state = emptyChat();
    const old = startRequest(state, 'first question');
    applyChatEvent(state, old, { type: 'token', content: 'Half an ans' }, current);
    assert.equal(clearChat(state), old, 'Clear returns the streaming request so the view stops it');
    assert.equal(state.active, null);
    assert.equal(state.messages.length, 0);

    const next = startRequest(state, 'second question');
    assert.notEqual(next, old, 'request ids are never reused');
    applyChatEvent(state, old, { type: 'token', content: 'wer from the old reply' }, current);
    applyChatEvent(state, old, { type: 'done' }, current);
    applyChatEvent(state, next, { type: 'token', content: 'New answer.' }, current);
    const answer = state.messages.find((m) => m.role === 'assistant')!;
    assert.equal(answer.text, 'New answer.');
    assert.equal(answer.streaming, true, "the old reply's done does not end the new one");
    assert.equal(state.active, next, 'Stop still targets the new request');
  });

  test('ids stay unique across fresh conversations (Clear, another file)', () => {
    const ids = new Set([
      startRequest(emptyChat(), 'a'),
      startRequest(emptyChat(), 'b'),
      startRequest(emptyChat(), 'c'),
    ]);
    assert.equal(ids.size, 3);
  });

  test('tokens arriving after Stop are not appended after "(stopped)"', () => {
    const state = emptyChat();
    const id = startRequest(state, 'explain');
    applyChatEvent(state, id, { type: 'token', content: 'Part one.' }, current);
    stopRequest(state, id);
    assert.equal(applyChatEvent(state, id, { type: 'token', content: ' Part two.' }, current), null);
    applyChatEvent(state, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, current);
    const answer = state.messages.find((m) => m.role === 'assistant')!;
    assert.equal(answer.text, 'Part one.\n\n*(stopped)*');
    assert.equal(answer.proposal, undefined);
  });

  test("a token asks to redraw only its message's text; a proposal or the end redraws that message", () => {
    const state = emptyChat();
    startRequest(state, 'earlier');
    const id = startRequest(state, 'add dropout');
    const token = applyChatEvent(state, id, { type: 'token', content: 'Adding dropout.' }, current);
    assert.equal(token?.what, 'text');
    assert.equal(token.message, state.messages[3]);
    assert.equal(
      applyChatEvent(state, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, current)?.what,
      'message',
    );
    assert.equal(applyChatEvent(state, id, { type: 'done' }, current)?.what, 'message');
  });

  test('an unreadable proposal (null) shows its errors and cannot be applied; no "all layers removed"', () => {
    const state = emptyChat();
    const id = startRequest(state, 'make it a convnet');
    const errors = [{ path: '', message: 'the proposal is not valid JSON: CloseBraceExpected at line 3' }];
    // An older server sent the unreadable block's text; the shared decoder turns that into null too.
    const fromText = toChatEvent({
      event: 'schema',
      id: '',
      data: JSON.stringify({ proposedSchema: '{ "layers": [ {"id": "x"', valid: false, errors }),
    });
    const events: (ChatStreamEvent | undefined)[] = [
      { type: 'schema', proposedSchema: null, valid: false, errors },
      fromText,
    ];
    for (const event of events) {
      assert.ok(event);
      applyChatEvent(state, id, event, current);
      const proposal = state.messages[1].proposal!;
      assert.equal(proposal.applicable, false);
      assert.deepEqual(proposal.diff.removed, []);
      assert.deepEqual(proposal.errors, errors);
    }
    applyChatEvent(state, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, current);
    assert.equal(state.messages[1].proposal!.applicable, true);
    assert.deepEqual(state.messages[1].proposal!.diff.added, ['drop']);
  });

  test("one conversation per file: a reply for file A lands in A's conversation while B is shown", () => {
    const chats = new ChatConversations();
    chats.key = 'a.stitch.json';
    const id = startRequest(chats.current, 'wider?');
    chats.key = 'b.stitch.json';
    assert.equal(chats.current.messages.length, 0, "B starts empty: A's proposal cards are not shown for B");
    const owner = chats.ofRequest(id)!;
    assert.notEqual(owner, chats.current);
    applyChatEvent(owner, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, current);
    chats.key = 'a.stitch.json';
    assert.ok(chats.current.messages[1].proposal, 'the card is back with its file');
    assert.equal(chats.ofRequest(id + 1000), undefined);
  });
});
