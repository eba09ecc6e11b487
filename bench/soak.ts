/**
 * The soak test (docs/reliability.md): many SSE subscribers that keep disconnecting and reconnecting with
 * `Last-Event-ID` while runs train, against a real `stitch serve` process. Every subscriber must end with
 * exactly the run's events (ids 1..n: none lost, none twice, none out of order) and the server's memory must
 * stay flat. Short in CI (test/server/reliability/soak.test.ts), long with `npm run bench -- --soak`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingEvent } from '../src/shared/protocol';
import { isTerminal } from '../src/shared/protocol';
import { decodeSse } from '../src/shared/sse/decoder';
import { toTrainingEvent } from '../src/shared/sse/training';
import { serveProcess } from '../test/server/reliability/cliProcess';
import { spiralSchema } from '../test/server/serverHarness';

export interface SoakOptions {
  /** How long the runs train while subscribers churn. */
  seconds: number;
  subscribers: number;
}

export interface SoakResult {
  subscribers: number;
  reconnects: number;
  /** Connections refused or dropped by the server (each retried). */
  connectionErrors: number;
  firstError: string | null;
  events: number;
  lost: number;
  duplicated: number;
  /** The server's resident memory (MB) once everyone was connected, and at the end. */
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 1024 / 1024;
}

/** One subscriber: follows a run to its end, dropping the connection every few events and resuming. */
async function subscriber(
  url: string,
  runId: string,
  seen: TrainingEvent[],
  counts: { reconnects: number; errors: string[] },
): Promise<void> {
  for (;;) {
    const last = seen.at(-1);
    if (last?.event === 'state' && isTerminal(last.data.state)) return;
    const controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (last) headers['Last-Event-ID'] = String(last.id);
    const dropAfter = 1 + Math.floor(Math.random() * 15);
    let got = 0;
    try {
      const response = await fetch(`${url}/api/runs/${runId}/events`, { headers, signal: controller.signal });
      if (response.status === 204) return;
      const text = (response.body as ReadableStream<Uint8Array>).pipeThrough(
        new TextDecoderStream(),
      ) as unknown as AsyncIterable<string>;
      for await (const message of decodeSse(text)) {
        const event = toTrainingEvent(message);
        if (!event) continue;
        seen.push(event);
        if (++got >= dropAfter && !(event.event === 'state' && isTerminal(event.data.state))) {
          controller.abort();
          break;
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) {
        // A refused or dropped connection: retry as EventSource would, and count it.
        counts.errors.push((err as { cause?: Error }).cause?.message ?? (err as Error).message);
        await sleep(100);
      }
    }
    counts.reconnects++;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-soak-'));
  const server = await serveProcess(
    ['--runs-dir', join(dir, 'runs'), '--data-dir', join(dir, 'data'), '--workspace', dir, '--backend', 'cpu'],
    dir,
  );
  const pid = server.child.pid ?? 0;
  try {
    const submit = async () => {
      const response = await fetch(`${server.url}/api/train`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ schema: spiralSchema({ epochs: 100_000, samples: 2000 }) }),
      });
      return ((await response.json()) as { run_id: string }).run_id;
    };
    // Two runs: the first trains while the second waits in the queue (an idle stream), then the second trains.
    const runs = [await submit(), await submit()];
    const counts = { reconnects: 0, errors: [] as string[] };
    const seen = Array.from({ length: options.subscribers }, () => [] as TrainingEvent[]);
    const following = seen.map((events, i) => subscriber(server.url, runs[i % 2], events, counts));
    await sleep(1000);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMb(pid)), 200);
    const half = (options.seconds * 1000) / 2;
    await sleep(half);
    // Retried: a pooled keep-alive socket the server has just closed fails once, as it would for any client.
    const cancel = async (runId: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fetch(`${server.url}/api/train/${runId}/cancel`, { method: 'POST' });
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(100);
        }
      }
    };
    await cancel(runs[0]);
    await sleep(half);
    await cancel(runs[1]);
    await Promise.all(following);
    clearInterval(sampler);

    let lost = 0;
    let duplicated = 0;
    let events = 0;
    for (let i = 0; i < seen.length; i++) {
      const ids = seen[i].map((e) => e.id);
      events += ids.length;
      for (let k = 0; k < ids.length; k++) {
        const expected = k === 0 ? 1 : ids[k - 1] + 1;
        if (ids[k] > expected) lost += ids[k] - expected;
        if (ids[k] < expected) duplicated++;
      }
    }
    // The runs' full logs, as a fresh client replays them: every subscriber must have ended with all of it.
    for (const [i, runId] of runs.entries()) {
      const replay = await (await fetch(`${server.url}/api/runs/${runId}/events`)).text();
      const total = [...replay.matchAll(/^id: (\d+)$/gm)].length;
      for (let k = i; k < seen.length; k += 2) lost += Math.max(0, total - (seen[k].at(-1)?.id ?? 0));
    }
    const window = Math.max(1, Math.floor(rss.length / 5));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return {
      subscribers: options.subscribers,
      reconnects: counts.reconnects,
      connectionErrors: counts.errors.length,
      firstError: counts.errors[0] ?? null,
      events,
      lost,
      duplicated,
      rssStartMb: median(rss.slice(0, window)),
      rssEndMb: median(rss.slice(-window)),
      rssMaxMb: Math.max(...rss),
    };
  } finally {
    server.child.kill('SIGINT');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

// The long version: `node --import tsx bench/soak.ts [SECONDS]` (default 120).
if (require.main === module) {
  void runSoak({ seconds: Number(process.argv[2] ?? 120), subscribers: 300 }).then((result) => {
    console.log(JSON.stringify(result, null, 2));
    process.exit(result.lost === 0 && result.duplicated === 0 ? 0 : 1);
  });
}
