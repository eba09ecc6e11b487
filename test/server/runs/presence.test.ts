/**
 * How a server tells that another one sharing its runs folder is gone (presence.ts): at once when its process
 * or its file is gone; after the stale period of this server's own waking time when its file stops changing,
 * so that a machine waking from sleep (every file old by the wall clock) does not fail live runs.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ServerPresence } from '../../../src/server/runs/presence';

const STALE_MS = 400;

test('an old presence file of a live process is gone only once seen unchanged for the stale period', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-presence-'));
  const presence = new ServerPresence(dir, () => undefined, STALE_MS);
  try {
    // Another server in a live process (this one's pid), its file last touched an hour ago by the wall clock:
    // what every server's file looks like right after the machine slept.
    const other = `${process.pid}-0abc`;
    const file = join(dir, '.servers', `${other}.json`);
    writeFileSync(file, '{}');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(file, hourAgo, hourAgo);
    assert.equal(await presence.isAlive(other), true, 'first seen old: not yet gone');
    assert.equal(presence.isAliveSync(other), true);
    await sleep(STALE_MS / 2);
    assert.equal(await presence.isAlive(other), true, 'unchanged for half the period');
    // It touches its file (it woke up too): alive, and the period starts again.
    const now = new Date();
    utimesSync(file, now, now);
    await sleep(STALE_MS * 0.75);
    assert.equal(await presence.isAlive(other), true);
    // Left untouched: old by the wall clock and unchanged for the whole period here.
    utimesSync(file, hourAgo, hourAgo);
    assert.equal(await presence.isAlive(other), true, 'a changed mtime starts the period again');
    await sleep(STALE_MS + 100);
    assert.equal(await presence.isAlive(other), false);
    assert.equal(presence.isAliveSync(other), false);

    // Gone at once: its file removed (it closed), or its process no longer exists.
    rmSync(file);
    assert.equal(await presence.isAlive(other), false);
    const killed = '99999999-dead';
    writeFileSync(join(dir, '.servers', `${killed}.json`), '{}');
    assert.equal(await presence.isAlive(killed), false);
    // Ids are checked, never used as paths as they come.
    assert.equal(await presence.isAlive('../../etc/passwd'), false);
    assert.equal(await presence.isAlive(presence.id), true);
  } finally {
    presence.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a starting server removes the files of killed servers, and keeps live ones'", () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-presence-'));
  try {
    mkdirSync(join(dir, '.servers'));
    const killed = join(dir, '.servers', '99999999-dead.json');
    const live = join(dir, '.servers', `${process.pid}-11fe.json`);
    const other = join(dir, '.servers', 'notes.txt');
    for (const f of [killed, live, other]) writeFileSync(f, '{}');
    const presence = new ServerPresence(dir, () => undefined);
    try {
      assert.equal(existsSync(killed), false);
      assert.equal(existsSync(live), true);
      assert.equal(existsSync(other), true, 'only presence files are removed');
      assert.equal(existsSync(join(dir, '.servers', `${presence.id}.json`)), true);
    } finally {
      presence.close();
    }
    assert.equal(existsSync(join(dir, '.servers', `${presence.id}.json`)), false, 'removed at close');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
