// SerialQueues (src/extension/visualEditor/serialQueue.ts): the visual editor's edits of one document run one at
// a time, each reading the text the previous one wrote, as VS Code's versioned WorkspaceEdits require.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { SerialQueues } from '../../../src/extension/visualEditor/serialQueue';

/** A document like VS Code's: an edit computed from an older version is refused. */
class VersionedDoc {
  text = '';
  version = 0;
  async apply(readVersion: number, next: string): Promise<boolean> {
    await delay(5); // the round trip to the renderer
    if (readVersion !== this.version) return false;
    this.text = next;
    this.version++;
    return true;
  }
}

test('edits queued at once on one document all apply, in order', async () => {
  const queues = new SerialQueues();
  const doc = new VersionedDoc();
  const edit = (c: string) =>
    queues.run('a.stitch.json', async () => {
      const version = doc.version;
      const text = doc.text;
      await delay(1); // computing the edit
      return doc.apply(version, text + c);
    });
  const results = await Promise.all(['d', 'c', '→'].map(edit));
  assert.deepEqual(results, [true, true, true]);
  assert.equal(doc.text, 'dc→');
  assert.deepEqual(queues.busyKeys, [], 'idle queues are forgotten');
});

test('a failing task does not block the next; other keys run side by side', async () => {
  const queues = new SerialQueues();
  const order: string[] = [];
  const failed = queues.run('a', async () => {
    await delay(20);
    order.push('a1');
    throw new Error('no layer "x"');
  });
  const next = queues.run('a', () => order.push('a2'));
  const other = queues.run('b', () => order.push('b1'));
  await assert.rejects(failed, /no layer "x"/);
  await Promise.all([next, other]);
  assert.deepEqual(order, ['b1', 'a1', 'a2']);
});
