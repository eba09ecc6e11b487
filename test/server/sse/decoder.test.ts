/**
 * The SSE framing both ways: what the server's formatter writes, the shared client decoder reads back
 * exactly, however the bytes are split into chunks; and a payload cannot break out of its event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineDecoder, SseDecoder, decodeSse, type SseMessage } from '../../../src/shared/sse/decoder';
import { toTrainingEvent } from '../../../src/shared/sse/training';
import { formatComment, formatEvent } from '../../../src/server/sse/format';

function decodeAll(chunks: string[]): { messages: SseMessage[]; comments: string[] } {
  const comments: string[] = [];
  const decoder = new SseDecoder((c) => comments.push(c));
  const messages = chunks.flatMap((c) => decoder.push(c));
  messages.push(...decoder.end());
  return { messages, comments };
}

test('formatted events decode to the same data, for every way of splitting the stream', () => {
  const frames = [
    { event: 'state', id: 1, data: { run_id: 'r', state: 'queued' } },
    { event: 'metric', id: 2, data: { note: 'line one\nline two\r\nthree', emoji: 'é✓' } },
    { event: 'batch', id: 3, data: { loss: 0.5 } },
  ];
  const text = formatComment('hello') + frames.map(formatEvent).join('') + formatComment('keep-alive');
  for (let size = 1; size <= text.length; size += size < 8 ? 1 : 7) {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
    const { messages, comments } = decodeAll(chunks);
    assert.deepEqual(
      messages.map((m) => [m.event, m.id, JSON.parse(m.data) as unknown]),
      frames.map((f) => [f.event, String(f.id), f.data]),
      `chunk size ${size}`,
    );
    assert.deepEqual(comments, ['hello', 'keep-alive']);
  }
});

test('a newline in an event name, id or string payload cannot inject fields', () => {
  const text = formatEvent({ event: 'state\nevent: evil', id: '4\nid: 999', data: 'a\nevent: evil\n\ndata: x' });
  const { messages } = decodeAll([text]);
  assert.equal(messages.length, 1);
  assert.equal(messages[0].event, 'state event: evil');
  assert.equal(messages[0].id, '4 id: 999');
  assert.equal(messages[0].data, 'a\nevent: evil\n\ndata: x');
});

test('CR, LF and CRLF line ends (a CRLF split across chunks counts once); unterminated events are dropped', () => {
  const lines = new LineDecoder();
  assert.deepEqual(lines.push('a\r'), []);
  assert.deepEqual(lines.push('\nb\rc\n'), ['a', 'b', 'c']);
  const { messages } = decodeAll(['data: 1\r\n\r', '\ndata: 2\n', '\rdata: 3']);
  assert.deepEqual(
    messages.map((m) => m.data),
    ['1', '2'],
  );
});

test('fields follow the standard: default event name, ids persist, retry, unknown fields ignored', () => {
  const { messages } = decodeAll(['id: 7\nretry: 1500\nfoo: bar\ndata\n\n', 'data:no-space\n\n', 'id\ndata: x\n\n']);
  assert.deepEqual(messages, [
    { event: 'message', data: '', id: '7', retry: 1500 },
    { event: 'message', data: 'no-space', id: '7' },
    { event: 'message', data: 'x', id: '' },
  ]);
});

test('decodeSse iterates an async stream; toTrainingEvent types training events and skips others', async () => {
  async function* source() {
    yield formatEvent({ event: 'state', id: 1, data: { run_id: 'r', state: 'running' } });
    yield formatEvent({ event: 'future', id: 2, data: {} });
  }
  const messages: SseMessage[] = [];
  for await (const m of decodeSse(source())) messages.push(m);
  assert.deepEqual(toTrainingEvent(messages[0]), { id: 1, event: 'state', data: { run_id: 'r', state: 'running' } });
  assert.equal(toTrainingEvent(messages[1]), undefined);
  assert.throws(() => toTrainingEvent({ event: 'metric', id: '3', data: 'nope' }), /not JSON/);
});
