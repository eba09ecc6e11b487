// The charts' pure parts (webview/metrics/metricsStore.ts, trends.ts, runLabels.ts): progress shows from the
// first batches in epoch mode (checked on a real run of the real server and trainer), whole-epoch ticks,
// TensorBoard smoothing, the overfitting hint, and how runs are told apart (number, time, color, result).
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { MetricEvent, TrainingEvent } from '../../src/shared/protocol';
import { chartData, emptyRun, ingest, liveTail, type RunSeries } from '../../webview/metrics/metricsStore';
import { ACCURACY_RANGE, epochRange, epochTicks, overfitting, smooth } from '../../webview/metrics/trends';
import {
  RUN_COLOR_VARS,
  distinctRunColorVars,
  relativeTime,
  resultLabel,
  runColorVar,
  runNumbers,
} from '../../webview/metrics/runLabels';
import {
  readEvents,
  spiralSchema,
  startTestServer,
  submit,
  waitForState,
  type TestServer,
} from '../server/serverHarness';

describe('charts during a real run', () => {
  let server: TestServer;
  let events: TrainingEvent[];
  before(async () => {
    server = await startTestServer();
    const runId = await submit(server, spiralSchema({ epochs: 2, samples: 160 }));
    await waitForState(server, runId, ['succeeded']);
    events = await readEvents(server, runId);
  });
  after(() => server.stop());

  test('per epoch, the chart has points before the first epoch ends, in epoch units', () => {
    const firstMetric = events.findIndex((e) => e.event === 'metric');
    assert.ok(firstMetric > 2, 'batches come before the first epoch point');
    const run = emptyRun('r');
    ingest(run, events.slice(0, firstMetric));
    const loss = chartData([run], 'loss', 'epoch', () => 'r');
    const live = loss.series.find((s) => s.split === 'live');
    assert.ok(live, 'a live series of the batches of epoch 1');
    assert.equal(live.label, 'r train (batches)');
    const points = live.values.filter((v) => v !== null).length;
    assert.equal(points, run.batch.x.length);
    assert.ok(
      loss.x.every((x) => x > 0 && x <= 1),
      `x in epoch units within epoch 1: ${loss.x.join(', ')}`,
    );
    assert.equal(run.currentEpoch, 1);
    assert.deepEqual(epochRange([run]), [0, 1]);
  });

  test('a finished run shows its epoch points and no live tail; accuracy stays within 0–100%', () => {
    const run = emptyRun('r');
    ingest(run, events);
    assert.equal(liveTail(run, 'loss').x.length, 0);
    const acc = chartData([run], 'accuracy', 'epoch', () => 'r');
    assert.deepEqual(acc.x, [1, 2]);
    assert.deepEqual(
      acc.series.map((s) => s.split),
      ['train', 'val'],
    );
    for (const s of acc.series)
      for (const v of s.values) assert.ok(v === null || (v >= ACCURACY_RANGE[0] && v <= ACCURACY_RANGE[1]));
    assert.deepEqual(epochRange([run]), [0, 2]);
    assert.equal(run.currentEpoch, 2);
  });
});

describe('trends', () => {
  test('epoch ticks are whole epochs, fewer for long runs', () => {
    assert.deepEqual(epochTicks(0, 2), [0, 1, 2]);
    assert.deepEqual(epochTicks(0, 1), [0, 1]);
    assert.deepEqual(epochTicks(0, 30), [0, 5, 10, 15, 20, 25, 30]);
    assert.ok(epochTicks(0.3, 7.7).every(Number.isInteger));
  });

  test('smoothing is an EMA debiased at the start, keeps nulls, and 0 is raw', () => {
    const raw = [1, null, 3, 3, 3];
    assert.deepEqual(smooth(raw, 0), raw);
    const s = smooth(raw, 0.5);
    assert.equal(s[0], 1, 'the first point is itself (debiased)');
    assert.equal(s[1], null);
    assert.ok(s[2]! > 1 && s[2]! < 3);
    assert.ok(s[4]! > s[3]! && s[4]! < 3, 'converges towards the level');
  });

  test('overfitting: validation loss rising for two epochs while training loss falls', () => {
    const run = (val: number[], train: number[]): RunSeries => {
      const r = emptyRun('o');
      const metric = (i: number): MetricEvent => ({
        epoch: i + 1,
        epochs: val.length,
        train_loss: train[i],
        val_loss: val[i],
        train_accuracy: null,
        val_accuracy: null,
        learning_rate: 0.001,
        epoch_time: 1,
        samples_per_sec: 1,
        progress: (i + 1) / val.length,
        eta_seconds: 0,
      });
      ingest(
        r,
        val.map((_, i) => ({ id: i + 1, event: 'metric', data: metric(i) })),
      );
      return r;
    };
    const hint = overfitting(run([1, 0.6, 0.5, 0.6, 0.7], [1, 0.6, 0.4, 0.3, 0.2]));
    assert.ok(hint);
    assert.equal(hint.bestEpoch, 3);
    assert.equal(hint.epoch, 5);
    assert.match(hint.message, /overfitting/);
    assert.equal(overfitting(run([1, 0.6, 0.5, 0.45, 0.4], [1, 0.6, 0.4, 0.3, 0.2])), null, 'still improving');
    assert.equal(
      overfitting(run([1, 0.6, 0.5, 0.6, 0.7], [1, 0.6, 0.4, 0.5, 0.6])),
      null,
      'both rising: not overfitting',
    );
    assert.equal(overfitting(run([1, 0.5, 0.6], [1, 0.5, 0.4])), null, 'one epoch up is noise');
  });
});

describe('run labels', () => {
  const runs = [
    { run_id: 'b', created_at: '2026-12-04T10:05:00Z' },
    { run_id: 'a', created_at: '2026-12-04T10:00:00Z' },
    { run_id: 'c', created_at: '2026-12-04T10:05:00Z' },
  ];

  test('numbers count up from the oldest run; colors follow the number', () => {
    const numbers = runNumbers(runs);
    assert.deepEqual([...numbers.entries()].sort(), [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    assert.equal(runColorVar('a', numbers), RUN_COLOR_VARS[0]);
    assert.equal(runColorVar('c', numbers), RUN_COLOR_VARS[2]);
    assert.ok(RUN_COLOR_VARS.includes(runColorVar('unknown', numbers) as (typeof RUN_COLOR_VARS)[number]));
  });

  test('runs shown together (Compare) never share a colour, even #1 and #7', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      run_id: `r${i + 1}`,
      created_at: `2026-12-04T10:0${i}:00Z`,
    }));
    const numbers = runNumbers(many);
    assert.equal(runColorVar('r1', numbers), runColorVar('r7', numbers));
    const [first, seventh] = distinctRunColorVars(['r1', 'r7'], numbers);
    assert.equal(first, RUN_COLOR_VARS[0]);
    assert.notEqual(seventh, first);
    assert.deepEqual(distinctRunColorVars(['r2', 'r3'], numbers), [RUN_COLOR_VARS[1], RUN_COLOR_VARS[2]]);
    const all = distinctRunColorVars(
      many.map((r) => r.run_id),
      numbers,
    );
    assert.equal(new Set(all.slice(0, 6)).size, 6);
  });

  test('relative start times', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    assert.equal(relativeTime('2026-12-04T11:59:40Z', now), 'just now');
    assert.equal(relativeTime('2026-12-04T11:55:00Z', now), '5 min ago');
    assert.equal(relativeTime('2026-12-04T09:00:00Z', now), '3 h ago');
    assert.equal(relativeTime('2026-12-03T11:00:00Z', now), 'yesterday');
    assert.equal(relativeTime('2026-11-01T11:00:00Z', now), '2026-11-01');
  });

  test('results say which accuracy they are; the test accuracy wins', () => {
    assert.equal(
      resultLabel({ best_val_accuracy: 0.85, test: { loss: 0.3, accuracy: 0.885, samples: 200 } }),
      'test 88.5%',
    );
    assert.equal(resultLabel({ best_val_accuracy: 0.85, test: null }), 'best val 85.0%');
    assert.equal(
      resultLabel({ best_val_accuracy: null, test: { loss: 0.1234, accuracy: null, samples: 5 } }),
      'test loss 0.123',
    );
    assert.equal(resultLabel({ best_val_accuracy: null, test: null }), '');
  });
});
