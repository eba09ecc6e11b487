// Stream → state: training events into chart series (deduplicated by SSE id), chat events into messages.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import type { TrainingEvent } from '../../src/shared/protocol';
import { chartData, emptyRun, ingest, pointCount } from '../../webview/metrics/metricsStore';
import { applyChatEvent, diffLayers, emptyChat, startRequest, stopRequest } from '../../webview/chat/chatStore';

function runEvents(runId: string, epochs: number, batches: number): TrainingEvent[] {
  const out: TrainingEvent[] = [];
  let id = 0;
  out.push({ id: ++id, event: 'state', data: { run_id: runId, state: 'running' } });
  for (let e = 1; e <= epochs; e++) {
    for (let b = 1; b <= batches; b++) {
      out.push({
        id: ++id,
        event: 'batch',
        data: {
          epoch: e,
          batch: b,
          batches,
          loss: 1 / (e * b),
          accuracy: 0.5,
          progress: 0,
          samples_per_sec: 100,
          eta_seconds: 1,
        },
      });
    }
    out.push({
      id: ++id,
      event: 'metric',
      data: {
        epoch: e,
        epochs,
        train_loss: 1 / e,
        val_loss: 1.2 / e,
        train_accuracy: 0.5 + e / 100,
        val_accuracy: null,
        learning_rate: 0.001,
        epoch_time: 1,
        samples_per_sec: 100,
        progress: e / epochs,
        eta_seconds: epochs - e,
      },
    });
  }
  out.push({
    id: ++id,
    event: 'state',
    data: { run_id: runId, state: 'failed', error: 'loss became NaN in epoch 2; lower the learning rate' },
  });
  return out;
}

describe('metrics store', () => {
  test('a replay overlapping what we hold (reconnect) adds nothing twice and nothing is lost', () => {
    const events = runEvents('a', 3, 4);
    const run = emptyRun('a');
    assert.equal(ingest(run, events.slice(0, 7)), 7);
    // The relay reconnects and the server replays from an earlier id: only the new ones count.
    assert.equal(ingest(run, events.slice(3)), events.length - 7);
    assert.equal(ingest(run, events), 0);
    assert.equal(run.epoch.x.length, 3);
    assert.equal(run.batch.x.length, 12);
    assert.equal(run.lastId, events.at(-1)!.id);
    assert.equal(run.state, 'failed');
    assert.match(run.error!, /NaN/);
    assert.deepEqual(
      run.states.map((s) => s.state),
      ['running', 'failed'],
    );
    assert.deepEqual(run.batch.x.slice(0, 4), [0.25, 0.5, 0.75, 1]);
  });

  test('chart columns: train/val per epoch, overlay of two runs on a shared x axis', () => {
    const a = emptyRun('a'),
      b = emptyRun('b');
    ingest(a, runEvents('a', 3, 2));
    ingest(b, runEvents('b', 2, 3));
    const one = chartData([a], 'loss', 'epoch', (id) => id);
    assert.deepEqual(one.x, [1, 2, 3]);
    assert.deepEqual(
      one.series.map((s) => s.label),
      ['a train', 'a val'],
    );
    const both = chartData([a, b], 'loss', 'batch', (id) => id);
    // a: halves of 3 epochs, b: thirds of 2 epochs; 1 and 2 are shared.
    assert.equal(both.x.length, 10);
    assert.ok(
      both.x.every((x, i) => i === 0 || x > both.x[i - 1]),
      'one sorted x column',
    );
    assert.equal(both.series.length, 2);
    assert.equal(both.series[0].values.filter((v) => v !== null).length, 6);
    assert.equal(both.series[1].values.filter((v) => v !== null).length, 6);
  });

  test('100,000 batch points fold and chart quickly', () => {
    const run = emptyRun('big');
    const events: TrainingEvent[] = [];
    for (let i = 1; i <= 100_000; i++)
      events.push({
        id: i,
        event: 'batch',
        data: {
          epoch: 1 + Math.floor(i / 1000),
          batch: i % 1000,
          batches: 1000,
          loss: 1 / i,
          accuracy: null,
          progress: i / 1e5,
          samples_per_sec: 1,
          eta_seconds: 0,
        },
      });
    const started = performance.now();
    ingest(run, events);
    const data = chartData([run], 'loss', 'batch', (id) => id);
    const ms = performance.now() - started;
    assert.equal(pointCount(run), 100_000);
    assert.equal(data.x.length, 100_000);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });
});

describe('chat store', () => {
  const current = {
    layers: [
      { id: 'flat', type: 'flatten' },
      { id: 'out', type: 'dense', units: 10 },
    ],
  };

  test('tokens build the answer; a proposal carries what it changes', () => {
    const state = emptyChat();
    const id = startRequest(state, 'add dropout');
    applyChatEvent(state, id, { type: 'token', content: 'Adding ' }, current);
    applyChatEvent(state, id, { type: 'token', content: '`dropout`.' }, current);
    const proposed = {
      layers: [
        { id: 'flat', type: 'flatten' },
        { id: 'drop', type: 'dropout', rate: 0.5 },
        { id: 'out', type: 'dense', units: 12 },
      ],
    };
    applyChatEvent(state, id, { type: 'schema', proposedSchema: proposed, valid: true, errors: [] }, current);
    applyChatEvent(state, id, { type: 'done' }, current);
    const answer = state.messages[1];
    assert.equal(answer.text, 'Adding `dropout`.');
    assert.equal(answer.streaming, false);
    assert.equal(state.active, null);
    assert.deepEqual(answer.proposal!.diff.added, ['drop']);
    assert.deepEqual(answer.proposal!.diff.removed, []);
    assert.deepEqual(answer.proposal!.diff.changed, [{ id: 'out', what: 'units: 10 → 12' }]);
  });

  test('errors keep their code (no-key offers the key command); stop ends the stream', () => {
    const state = emptyChat();
    const id = startRequest(state, 'hi');
    applyChatEvent(state, id, { type: 'error', error: 'No OpenAI API key', code: 'no-key' }, current);
    assert.equal(state.messages[1].error!.code, 'no-key');
    const next = startRequest(state, 'again');
    applyChatEvent(state, next, { type: 'token', content: 'part' }, current);
    stopRequest(state, next);
    assert.equal(state.active, null);
    assert.match(state.messages[3].text, /^part\n\n\*\(stopped\)\*$/);
    assert.deepEqual(diffLayers(current, current), { added: [], removed: [], changed: [], sections: [] });
  });
});
