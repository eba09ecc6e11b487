/**
 * followRunEvents: a client that loses its connection mid-run reconnects with the last id it saw and ends
 * up with every event exactly once; failures that reconnecting cannot fix are thrown at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followRunEvents, type RunStreamSource } from '../../src/shared/sse/follow';
import type { TrainingEvent } from '../../src/shared/protocol';

function frame(id: number, state?: string): string {
  return state
    ? `event: state\nid: ${id}\ndata: ${JSON.stringify({ run_id: 'r', state })}\n\n`
    : `event: batch\nid: ${id}\ndata: ${JSON.stringify({ epoch: 1, batch: id, batches: 9, loss: 1, accuracy: null, progress: 0, samples_per_sec: 1, eta_seconds: 1 })}\n\n`;
}

async function* chunks(...parts: string[]): AsyncIterable<string> {
  for (const part of parts) yield part;
}

class Fatal extends Error {}

function scripted(answers: (() => AsyncIterable<string> | null)[]): RunStreamSource & { opened: number[] } {
  const opened: number[] = [];
  return {
    opened,
    async open(after) {
      opened.push(after);
      const next = answers.shift();
      if (!next) throw new Error('connection refused');
      return next();
    },
    isFatal: (err) => err instanceof Fatal,
    wait: async () => {},
  };
}

async function collect(gen: AsyncGenerator<TrainingEvent>): Promise<number[]> {
  const ids: number[] = [];
  for await (const event of gen) ids.push(event.id);
  return ids;
}

test('a dropped stream is reconnected after the last id seen; nothing is lost or repeated', async () => {
  const source = scripted([
    () => chunks(frame(1, 'running'), frame(2), frame(3).slice(0, 10)), // cut mid-event
    () => {
      throw new Error('ECONNRESET');
    },
    // A server may resend what the client already has; the follower skips it.
    () => chunks(frame(2), frame(3), frame(4), frame(5, 'succeeded'), frame(6)),
  ]);
  assert.deepEqual(await collect(followRunEvents(source)), [1, 2, 3, 4, 5]);
  assert.deepEqual(source.opened, [0, 2, 2]);
});

test('a finished run with nothing new (204) ends the stream; a fatal answer is thrown at once', async () => {
  assert.deepEqual(await collect(followRunEvents(scripted([() => null]), { lastEventId: 7 })), []);
  const refused: RunStreamSource = {
    open: async () => {
      throw new Fatal('401 token');
    },
    isFatal: (e) => e instanceof Fatal,
    wait: async () => {},
  };
  await assert.rejects(collect(followRunEvents(refused)), /401 token/);
});

test('a server gone for good gives up after the retry budget, saying why', async () => {
  const source = scripted([]);
  await assert.rejects(
    collect(followRunEvents(source, { retries: 3 })),
    /lost the event stream after 3 reconnects: connection refused/,
  );
  assert.equal(source.opened.length, 4);
});

test('the back-off doubles from retryMs up to maxRetryMs, and every opened connection is reported', async () => {
  const waits: number[] = [];
  let connects = 0;
  const source = scripted([() => chunks(frame(1, 'running')), () => chunks(frame(2, 'succeeded'))]);
  source.wait = async (ms) => {
    waits.push(ms);
  };
  const failing: RunStreamSource = {
    open: async (after) => {
      if (waits.length < 4) throw new Error('down');
      return source.open(after);
    },
    isFatal: () => false,
    wait: source.wait,
  };
  const ids = await collect(
    followRunEvents(failing, { retries: Infinity, retryMs: 100, maxRetryMs: 500, onConnect: () => connects++ }),
  );
  assert.deepEqual(ids, [1, 2]);
  assert.deepEqual(waits, [100, 200, 400, 500, 100], 'a successful event resets the back-off');
  assert.equal(connects, 2);
});
