/**
 * Damaged run folders (docs/reliability.md): each kind of damage is repaired or skipped with a log line, the
 * server starts, the other runs are intact, and no route answers 500 because of one run's files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunDetail, RunSummary, TrainingEvent } from '../../../src/shared/protocol';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

function runFile(server: TestServer, runId: string, file: string): string {
  return join(server.dir, 'runs', runId, file);
}

test('a damaged run folder is repaired or skipped with a log line, and never takes the server or a route down', async () => {
  const first = await startTestServer();
  const { dir } = first;
  let second: TestServer | undefined;
  try {
    // One real run, copied under five more ids (the run id inside its files rewritten), to damage each copy.
    const original = await submit(first, spiralSchema({ name: 'original', epochs: 1, samples: 40 }));
    assert.equal(await waitForState(first, original, ['succeeded', 'failed']), 'succeeded');
    const intact = await readEvents(first, original);
    await first.stop(true);
    const ids = [original];
    for (let i = 1; i < 6; i++) {
      const id = `${original}-copy${i}`;
      cpSync(join(dir, 'runs', original), join(dir, 'runs', id), { recursive: true });
      for (const file of ['run.json', 'events.jsonl']) {
        const path = join(dir, 'runs', id, file);
        writeFileSync(path, readFileSync(path, 'utf8').replaceAll(original, id));
      }
      ids.push(id);
    }

    const [good, wrongTypes, noSchema, torn, garbage, notJson] = ids;
    // run.json with wrong types (the attack: a number in created_at stopped the server).
    const record = JSON.parse(readFileSync(join(dir, 'runs', wrongTypes, 'run.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    Object.assign(record, { created_at: 12345, epochs_done: 'two', test: 'n/a', state: 'exploded', input_shape: [-1] });
    writeFileSync(join(dir, 'runs', wrongTypes, 'run.json'), JSON.stringify(record));
    rmSync(join(dir, 'runs', noSchema, 'schema.json'));
    // A torn last line that took the final state with it.
    const tornFile = join(dir, 'runs', torn, 'events.jsonl');
    const lines = readFileSync(tornFile, 'utf8').trimEnd().split('\n');
    writeFileSync(tornFile, lines.slice(0, -1).join('\n') + '\n' + lines.at(-1)!.slice(0, 12));
    // Garbage in the middle, and a line whose id goes backwards.
    const garbageFile = join(dir, 'runs', garbage, 'events.jsonl');
    const garbageLines = readFileSync(garbageFile, 'utf8').trimEnd().split('\n');
    garbageLines.splice(1, 0, 'not json at all', '{"id":1,"event":"state","data":{}}', '[1,2,3]');
    writeFileSync(garbageFile, garbageLines.join('\n') + '\n');
    writeFileSync(join(dir, 'runs', notJson, 'run.json'), '{"run_id": ');
    // A FIFO where a run's event log should be: reading it would block the server forever.
    const fifoRun = 'fifo-run';
    execFileSync('mkdir', ['-p', join(dir, 'runs', fifoRun)]);
    writeFileSync(
      join(dir, 'runs', fifoRun, 'run.json'),
      JSON.stringify({ ...record, run_id: fifoRun, created_at: new Date().toISOString(), state: 'succeeded' }),
    );
    writeFileSync(join(dir, 'runs', fifoRun, 'schema.json'), JSON.stringify(spiralSchema()));
    execFileSync('mkfifo', [join(dir, 'runs', fifoRun, 'events.jsonl')]);

    second = await startTestServer({ dir });
    const logs = second.logs.join('\n');
    assert.match(logs, new RegExp(`skipping run folder ${notJson}: run\\.json is not readable`));
    assert.match(
      logs,
      new RegExp(
        `run ${wrongTypes}: repaired a damaged run\\.json \\(state was "exploded", now "failed"; created_at was 12345`,
      ),
    );

    const list = ((await (await second.api('/api/runs')).json()) as { runs: RunSummary[] }).runs;
    assert.deepEqual(list.map((r) => r.run_id).sort(), [good, wrongTypes, noSchema, torn, garbage, fifoRun].sort());
    const repaired = list.find((r) => r.run_id === wrongTypes)!;
    assert.equal(repaired.state, 'failed');
    assert.equal(repaired.epochs_done, 0);
    assert.equal(repaired.test, null);
    assert.ok(!Number.isNaN(Date.parse(repaired.created_at)));
    // The repair was written back: a third start would not need it again.
    assert.equal(
      typeof (JSON.parse(readFileSync(runFile(second, wrongTypes, 'run.json'), 'utf8')) as { created_at: unknown })
        .created_at,
      'string',
    );

    assert.deepEqual(await readEvents(second, good), intact);

    const missing = await second.api(`/api/runs/${noSchema}`);
    assert.equal(missing.status, 409);
    assert.match(((await missing.json()) as { error: string }).error, /schema\.json cannot be read.*delete the run/);
    assert.equal((await second.api(`/api/runs/${noSchema}`, { method: 'DELETE' })).status, 204);

    for (const id of [torn, garbage, fifoRun]) {
      const events = await readEvents(second, id);
      const last = events.at(-1);
      assert.equal(last?.event, 'state', `${id} ends with its final state`);
      assert.equal(last.event === 'state' && last.data.state, 'succeeded');
      const eventIds = events.map((e) => e.id);
      assert.deepEqual(
        eventIds,
        [...eventIds].sort((a, b) => a - b),
        'ids only increase',
      );
      const detail = await second.api(`/api/runs/${id}`);
      assert.equal(detail.status, 200);
      assert.equal(((await detail.json()) as RunDetail).state, 'succeeded');
    }
    assert.match(
      second.logs.join('\n'),
      new RegExp(`run ${torn}: events\\.jsonl ended in a torn line; appended the final state \\(succeeded\\)`),
    );
    assert.match(second.logs.join('\n'), new RegExp(`run ${garbage}: skipped 3 damaged line\\(s\\)`));
    // The torn run's log was repaired on disk: one line per event, the last one the final state.
    const repairedLines = readFileSync(tornFile, 'utf8').trimEnd().split('\n');
    assert.equal((JSON.parse(repairedLines.at(-1)!) as TrainingEvent).event, 'state');
    // Replays stay exact after the repair.
    assert.deepEqual(await readEvents(second, torn), await readEvents(second, torn));
    assert.equal((await second.api('/api/health')).status, 200);
  } finally {
    await second?.stop();
  }
});
