/**
 * The soak test (docs/reliability.md): many SSE subscribers that keep disconnecting and reconnecting with
 * `Last-Event-ID` while runs train, against a real `stitch serve` process. Every subscriber must end with
 * exactly the run's events (ids 1..n: none lost, none twice, none out of order) and the server's memory must
 * stay flat. Short in CI (test/server/reliability/soak.test.ts), long with `npm run bench -- --soak`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingEvent } from '../src/shared/protocol';
import { isTerminal } from '../src/shared/protocol';
import { decodeSse } from '../src/shared/sse/decoder';
import { toTrainingEvent } from '../src/shared/sse/training';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveProcess, startHealthProbe, type HealthStats } from '../test/server/reliability/cliProcess';
import { spiralSchema } from '../test/server/serverHarness';

export interface SoakOptions {
  /** How long the runs train while subscribers churn. */
  seconds: number;
  subscribers: number;
  /** After the last cancel, how long subscribers may take to see the end before they are stopped. Default 20000. */
  drainMs?: number;
  /**
   * Rounds against the same server, each with two fresh runs and fresh subscribers. Default 1. With more, the
   * server's live heap after each round shows whether memory is flat (a plateau) or grows with every round (a
   * leak).
   */
  rounds?: number;
}

export interface SoakResult {
  subscribers: number;
  /** Subscribers still following at the deadline (none expected), with the last id each saw. */
  stuck: string[];
  /** Events in each run's full log. */
  runEvents: number[];
  reordered: number;
  /** Subscribers whose last event is not the run's final state. */
  withoutFinalState: number;
  /** Wall time of the whole soak, in seconds. */
  seconds: number;
  reconnects: number;
  /** Connections refused or dropped by the server (each retried). */
  connectionErrors: number;
  firstError: string | null;
  /** `GET /api/health` while the subscribers churn (from another process), beside a bare control server's max. */
  serverHealthMs: Pick<HealthStats, 'p50' | 'p99' | 'max'> & { controlMax: number };
  /** This (client) process's event-loop delay while the subscribers churn. */
  clientLagMs: { p50: number; p99: number; max: number };
  /** From asking for the stream to its headers, in ms. */
  connectMs: { p50: number; p99: number; max: number };
  events: number;
  lost: number;
  duplicated: number;
  /** The server's resident memory (MB): before any subscriber, at most while they churned, after they left. */
  rssBaselineMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  /**
   * The server's RSS (MB) settled after each round; `rssEndMb` is the last. The heap snapshot taken after each
   * round (`liveHeapAfterRoundMb`) grows the RSS by itself, by ~100 MB: only the first round's is clean.
   */
  rssAfterRoundMb: number[];
  /**
   * The server's live JavaScript heap (MB) after each round: what a full garbage collection leaves, from a heap
   * snapshot. RSS cannot tell a leak from garbage not yet collected (it grew 8–10 MB a round over 4 rounds
   * while the live heap grew 0.1–0.2 MB); this can.
   */
  liveHeapAfterRoundMb: number[];
}

class SoakError extends Error {}

const stopped = (signal: AbortSignal): boolean => signal.aborted;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 1024 / 1024;
}

/** One subscriber: follows a run to its end, dropping the connection every few events and resuming. */
async function subscriber(
  url: string,
  runId: string,
  seen: TrainingEvent[],
  counts: { reconnects: number; errors: string[]; connectMs: number[] },
  stop: AbortSignal,
): Promise<void> {
  for (;;) {
    if (stop.aborted) return;
    const last = seen.at(-1);
    if (last?.event === 'state' && isTerminal(last.data.state)) return;
    const controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (last) headers['Last-Event-ID'] = String(last.id);
    const dropAfter = 1 + Math.floor(Math.random() * 15);
    let got = 0;
    try {
      const asked = performance.now();
      const response = await fetch(`${url}/api/runs/${runId}/events`, {
        headers,
        signal: AbortSignal.any([controller.signal, stop]),
      });
      counts.connectMs.push(performance.now() - asked);
      if (response.status === 204) return;
      // Anything but a stream is a failure of the test or the server, never something to retry in a loop
      // (an unchecked 404 here once made every subscriber spin forever: docs/reliability.md).
      if (response.status !== 200) throw new SoakError(`events answered ${response.status}: ${await response.text()}`);
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
      if (err instanceof SoakError) throw err;
      // Checked again: the soak's deadline may have stopped this subscriber while it waited.
      if (stopped(stop)) return;
      if (!controller.signal.aborted) {
        // A refused or dropped connection: retry as EventSource would, and count it.
        counts.errors.push((err as { cause?: Error }).cause?.message ?? (err as Error).message);
        await sleep(100);
      }
    }
    counts.reconnects++;
  }
}

/** Submits a long run (cancelled by the soak); fails at once if the server refuses it. */
async function submit(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/api/train`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ schema: spiralSchema({ name, epochs: 10_000, samples: 2000 }) }),
  });
  const body = (await response.json()) as { run_id?: string };
  if (response.status !== 202 || !body.run_id) {
    throw new SoakError(`train answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.run_id;
}

/**
 * Resolves once the run is training (its first batch or metric event); the trainer's start can take seconds. A
 * connection refused or dropped (the server at its connection cap while hundreds of subscribers churn) is
 * retried, as a subscriber's is.
 */
async function trainingStarted(url: string, runId: string, timeoutMs = 120_000): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for (;;) {
      try {
        const response = await fetch(`${url}/api/runs/${runId}/events`, { signal: controller.signal });
        const text = (response.body as ReadableStream<Uint8Array>).pipeThrough(
          new TextDecoderStream(),
        ) as unknown as AsyncIterable<string>;
        for await (const message of decodeSse(text)) {
          const event = toTrainingEvent(message);
          if (event?.event === 'batch' || event?.event === 'metric') return;
          if (event?.event === 'state' && isTerminal(event.data.state)) break;
        }
        throw new SoakError(`run ${runId} ended before training`);
      } catch (err) {
        if (controller.signal.aborted) throw new SoakError(`run ${runId} did not start training in ${timeoutMs} ms`);
        if (err instanceof SoakError) throw err;
        await sleep(100);
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Retried: a pooled keep-alive socket the server has just closed fails once, as it would for any client. */
async function cancel(url: string, runId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`${url}/api/train/${runId}/cancel`, { method: 'POST' });
      await response.arrayBuffer();
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(100);
    }
  }
}

/** Counts, per subscriber, ids missing, seen twice, going backwards, and a missing final state. */
function audit(
  seen: TrainingEvent[][],
  totals: number[],
): Pick<SoakResult, 'events' | 'lost' | 'duplicated' | 'reordered' | 'withoutFinalState'> {
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  let withoutFinalState = 0;
  let events = 0;
  for (const [i, list] of seen.entries()) {
    const ids = list.map((e) => e.id);
    events += ids.length;
    const unique = new Set(ids);
    duplicated += ids.length - unique.size;
    for (let k = 1; k < ids.length; k++) if (ids[k] <= ids[k - 1]) reordered++;
    for (let id = 1; id <= totals[i]; id++) if (!unique.has(id)) lost++;
    const last = list.at(-1);
    if (!(last?.event === 'state' && isTerminal(last.data.state))) withoutFinalState++;
  }
  return { events, lost, duplicated, reordered, withoutFinalState };
}

const percentiles = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Samples the server's RSS every 100 ms for `ms`; returns the median. */
async function settledRss(pid: number, ms: number): Promise<number> {
  const samples: number[] = [];
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) samples.push(rssMb(pid));
  return median(samples);
}

/**
 * The live heap of the server (MB), which was started with `--heapsnapshot-signal=SIGUSR2` writing into `dir`:
 * a snapshot (V8 collects all garbage before it takes one), the sum of its objects' own sizes.
 */
async function liveHeapMb(pid: number, dir: string): Promise<number> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  // The file appears as the server starts writing it: read it once its size has stopped changing and it parses.
  let size = -1;
  for (const end = Date.now() + 60_000; Date.now() < end; await sleep(250)) {
    const name = readdirSync(dir).find((f) => !before.has(f));
    if (!name) continue;
    const path = join(dir, name);
    const now = statSync(path).size;
    if (now > 0 && now === size) {
      let snapshot: { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
      try {
        snapshot = JSON.parse(readFileSync(path, 'utf8')) as typeof snapshot;
      } catch {
        // Still being written (the writer paused longer than a poll): read it again once it has grown.
        continue;
      }
      rmSync(path);
      const fields = snapshot.snapshot.meta.node_fields;
      let bytes = 0;
      for (let i = fields.indexOf('self_size'); i < snapshot.nodes.length; i += fields.length)
        bytes += snapshot.nodes[i];
      return bytes / 1024 / 1024;
    }
    size = now;
  }
  throw new SoakError('the server wrote no heap snapshot within 60 s');
}

type RoundResult = Omit<
  SoakResult,
  'rssBaselineMb' | 'rssEndMb' | 'rssAfterRoundMb' | 'liveHeapAfterRoundMb' | 'seconds'
>;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'stitch-soak-'));
  const snapshots = join(dir, 'heap');
  mkdirSync(snapshots);
  const server = await serveProcess(
    ['--runs-dir', join(dir, 'runs'), '--data-dir', join(dir, 'data'), '--workspace', dir, '--backend', 'cpu'],
    dir,
    {
      NODE_OPTIONS: [process.env.NODE_OPTIONS, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`]
        .filter(Boolean)
        .join(' '),
    },
  );
  const pid = server.child.pid ?? 0;
  try {
    const rounds: RoundResult[] = [];
    const rssAfterRoundMb: number[] = [];
    const liveHeapAfterRoundMb: number[] = [];
    let rssBaselineMb = 0;
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      rounds.push(
        await soakRound(server.url, pid, options, round, async () => {
          // Before the first round's subscribers (its runs already queued): the baseline.
          if (round === 0) rssBaselineMb = await settledRss(pid, 1000);
        }),
      );
      rssAfterRoundMb.push(await settledRss(pid, 1500));
      liveHeapAfterRoundMb.push(await liveHeapMb(pid, snapshots));
    }
    return {
      ...combine(rounds),
      rssBaselineMb,
      rssEndMb: rssAfterRoundMb.at(-1) ?? 0,
      rssAfterRoundMb,
      liveHeapAfterRoundMb,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    server.child.kill('SIGINT');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sums the rounds' counts; the worst of their latencies, memory peaks and lists. */
function combine(rounds: RoundResult[]): RoundResult {
  const sum = (pick: (r: RoundResult) => number) => rounds.reduce((n, r) => n + pick(r), 0);
  const worst = (key: 'connectMs' | 'clientLagMs') => ({
    p50: Math.max(...rounds.map((r) => r[key].p50)),
    p99: Math.max(...rounds.map((r) => r[key].p99)),
    max: Math.max(...rounds.map((r) => r[key].max)),
  });
  return {
    subscribers: rounds[0].subscribers,
    reconnects: sum((r) => r.reconnects),
    connectionErrors: sum((r) => r.connectionErrors),
    firstError: rounds.find((r) => r.firstError !== null)?.firstError ?? null,
    connectMs: worst('connectMs'),
    serverHealthMs: {
      p50: Math.max(...rounds.map((r) => r.serverHealthMs.p50)),
      p99: Math.max(...rounds.map((r) => r.serverHealthMs.p99)),
      max: Math.max(...rounds.map((r) => r.serverHealthMs.max)),
      controlMax: Math.max(...rounds.map((r) => r.serverHealthMs.controlMax)),
    },
    clientLagMs: worst('clientLagMs'),
    stuck: rounds.flatMap((r) => r.stuck).slice(0, 10),
    events: sum((r) => r.events),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    reordered: sum((r) => r.reordered),
    withoutFinalState: sum((r) => r.withoutFinalState),
    runEvents: rounds.flatMap((r) => r.runEvents),
    rssMaxMb: Math.max(...rounds.map((r) => r.rssMaxMb)),
  };
}

/** One round: two runs, the subscribers churning on them until both are cancelled, then the audit. */
async function soakRound(
  url: string,
  pid: number,
  options: SoakOptions,
  round: number,
  beforeSubscribers: () => Promise<void>,
): Promise<RoundResult> {
  const stop = new AbortController();
  try {
    // Two runs: the first trains while the second waits in the queue (an idle stream), then the second trains.
    const runs = [await submit(url, `soak-a${round}`), await submit(url, `soak-b${round}`)];
    await beforeSubscribers();
    const counts = { reconnects: 0, errors: [] as string[], connectMs: [] as number[] };
    const seen = Array.from({ length: options.subscribers }, () => [] as TrainingEvent[]);
    const done = seen.map(() => false);
    const following = Promise.all(
      seen.map((events, i) =>
        subscriber(url, runs[i % 2], events, counts, stop.signal).then(() => (done[i] = !stop.signal.aborted)),
      ),
    );
    // Where reconnects wait: the server's health latency (from another process) and this process's own lag.
    const probe = startHealthProbe(url, 200);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMb(pid)), 100);
    // Each run trains for half the time while the subscribers churn, then is cancelled (its final state).
    const half = (options.seconds * 1000) / 2;
    for (const runId of runs) {
      await trainingStarted(url, runId);
      await sleep(half);
      await cancel(url, runId);
    }
    // Never hang: past the deadline the subscribers are stopped and the ones still following are reported.
    const deadline = setTimeout(() => stop.abort(), options.drainMs ?? 20_000);
    await following;
    clearTimeout(deadline);
    clearInterval(sampler);
    lag.disable();
    const health = await probe.stop();
    const stuck = done.flatMap((d, i) => (d ? [] : [`round ${round + 1} #${i} at id ${seen[i].at(-1)?.id ?? 0}`]));
    // The runs' full logs, as a fresh client replays them: every subscriber must have ended with all of it.
    const totals: number[] = [];
    for (const runId of runs) {
      const replay = await (await fetch(`${url}/api/runs/${runId}/events`)).text();
      totals.push([...replay.matchAll(/^id: (\d+)$/gm)].length);
    }
    return {
      subscribers: options.subscribers,
      reconnects: counts.reconnects,
      connectionErrors: counts.errors.length,
      firstError: counts.errors[0] ?? null,
      connectMs: percentiles(counts.connectMs),
      serverHealthMs: { p50: health.p50, p99: health.p99, max: health.max, controlMax: health.control.max },
      clientLagMs: {
        p50: Math.round(lag.percentile(50) / 1e6),
        p99: Math.round(lag.percentile(99) / 1e6),
        max: Math.round(lag.max / 1e6),
      },
      stuck: stuck.slice(0, 10),
      ...audit(
        seen,
        seen.map((_, i) => totals[i % 2]),
      ),
      runEvents: totals,
      rssMaxMb: Math.max(...rss),
    };
  } finally {
    stop.abort();
  }
}

// The long version: `node --import tsx bench/soak.ts [SECONDS] [SUBSCRIBERS] [ROUNDS]` (default 120 s, 300, 1).
if (require.main === module) {
  const seconds = Number(process.argv[2] ?? 120);
  const rounds = Number(process.argv[4] ?? 1);
  void runSoak({ seconds, subscribers: Number(process.argv[3] ?? 300), rounds }).then((result) => {
    console.log(JSON.stringify(result, null, 2));
    const clean = result.lost + result.duplicated + result.reordered + result.withoutFinalState + result.stuck.length;
    process.exit(clean === 0 ? 0 : 1);
  });
}
