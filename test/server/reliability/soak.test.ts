/**
 * The soak test, short (docs/reliability.md; the long one is `node --import tsx bench/soak.ts`): 100 SSE
 * subscribers that keep dropping and resuming with `Last-Event-ID` while two runs train, against a real
 * `stitch serve`. Every subscriber must end with exactly its run's events and its final state, and the
 * server's memory must come back to where it was, and stay there when the same churn runs a second time. SOAK_SECONDS and SOAK_SUBSCRIBERS change its size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from '../../../bench/soak';

test('100 subscribers reconnecting while runs train, twice: 0 events lost, repeated or reordered, memory flat', async () => {
  const result = await runSoak({
    seconds: Number(process.env.SOAK_SECONDS ?? 6),
    subscribers: Number(process.env.SOAK_SUBSCRIBERS ?? 100),
    rounds: 2,
  });
  process.stdout.write(`soak: ${JSON.stringify(result)}\n`);
  assert.deepEqual(result.stuck, [], 'subscribers still following after the runs ended');
  assert.equal(result.lost, 0);
  assert.equal(result.duplicated, 0);
  assert.equal(result.reordered, 0);
  assert.equal(result.withoutFinalState, 0);
  // Both runs trained (batch and metric events), and the subscribers really churned.
  assert.ok(Math.min(...result.runEvents) > 10, `runs produced only ${result.runEvents.join(' and ')} events`);
  assert.ok(result.reconnects >= 2 * result.subscribers, `only ${result.reconnects} reconnects`);
  // Memory back near the baseline: a session (buffers, listeners, timers) kept per reconnect would show here.
  const [first, second] = result.rssAfterRoundMb;
  assert.ok(
    result.rssEndMb - result.rssBaselineMb < 30,
    `server memory went from ${result.rssBaselineMb.toFixed(0)} to ${result.rssEndMb.toFixed(0)} MB`,
  );
  // Flat: a second round of the same churn leaves the server where the first did (a leak grows every round).
  assert.ok(
    second - first < 10,
    `server memory after round 1: ${first.toFixed(0)} MB, after round 2: ${second.toFixed(0)} MB`,
  );
});
