/**
 * The progress renderer of `stitch train` with fake terminals of several widths: the status line shows
 * epoch, batch, loss, accuracy, samples/s and ETA, is redrawn in place, never wraps, and pipes get plain lines.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchEvent, MetricEvent } from '../../../src/shared/protocol';
import { ProgressReporter, formatDuration, renderStatus } from '../../../src/server/cli/progress';

const batch: BatchEvent = {
  epoch: 2,
  batch: 37,
  batches: 844,
  loss: 0.123456,
  accuracy: 0.9543,
  progress: 0.52,
  samples_per_sec: 1234.4,
  eta_seconds: 95,
};
const metric: MetricEvent = {
  epoch: 2,
  epochs: 3,
  train_loss: 0.2,
  train_accuracy: 0.9,
  val_loss: 0.25,
  val_accuracy: 0.88,
  learning_rate: 0.001,
  epoch_time: 12.34,
  samples_per_sec: 4400,
  progress: 0.66,
  eta_seconds: 12,
};

function terminal(columns: number | undefined, isTTY = true) {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => void writes.push(t), isTTY, columns } };
}

describe('progress renderer', () => {
  test('a wide terminal gets the bar and every figure, redrawn in place', () => {
    const { writes, out } = terminal(160);
    const reporter = new ProgressReporter(out);
    reporter.expectEpochs(3);
    reporter.batch(batch);
    assert.equal(writes.length, 1);
    assert.equal(
      writes[0],
      '\r[##########..........] epoch 2/3 batch 37/844 loss 0.1235 acc 0.9543 1234 samples/s ETA 1m35s\x1b[K',
    );
    // A permanent line clears the status line first, then the next batch redraws it.
    reporter.metric(metric);
    assert.equal(writes[1], '\r\x1b[K');
    assert.match(
      writes[2],
      /^epoch 2\/3 {2}loss 0\.2000 {2}acc 0\.9000 {2}val_loss 0\.2500 {2}val_acc 0\.8800 {2}12\.3s {2}4400 samples\/s {2}ETA 12s\n$/,
    );
    reporter.batch({ ...batch, epoch: 3, batch: 1 });
    assert.match(writes[3], /^\r\[.*epoch 3\/3 batch 1\/844 /);
  });

  test('a narrow terminal narrows the bar, then drops it before any figure, and a tiny one cuts the line to fit', () => {
    const facts = 'epoch 2/3 batch 37/844 loss 0.1235 acc 0.9543 1234 samples/s ETA 1m35s';
    const eighty = renderStatus(batch, 3, 80);
    assert.equal(eighty, `[###...] ${facts}`, 'an 80-column terminal keeps a bar');
    assert.ok(eighty.length <= 79);
    assert.equal(renderStatus(batch, 3, 71), facts);
    const tiny = renderStatus(batch, 3, 30);
    assert.equal(tiny, 'epoch 2/3 batch 37/844 loss 0');
  });

  test('a terminal that reports no width (0) still shows the whole line', () => {
    for (const columns of [0, undefined]) assert.match(renderStatus(batch, '?', columns), /epoch 2\/\? .* ETA 1m35s$/);
  });

  test('not a terminal: no status line at all, one plain line per epoch', () => {
    const { writes, out } = terminal(200, false);
    const reporter = new ProgressReporter(out);
    reporter.batch(batch);
    reporter.metric(metric);
    assert.equal(writes.length, 1);
    assert.ok(!writes[0].includes('\r'));
  });

  test('durations read as a person would', () => {
    assert.deepEqual([0, 59.4, 61, 3599, 3661, -1, NaN].map(formatDuration), [
      '0s',
      '59s',
      '1m01s',
      '59m59s',
      '1h01m',
      '-',
      '-',
    ]);
  });
});
