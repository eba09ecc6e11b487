/**
 * Names what was happening during each slow health call: the requests the test had in flight, the control
 * server's latency at the same moment, and the server's log lines from then (with STITCH_DEBUG_LOOP=1 these
 * include its event-loop blocks and GC pauses). A failing latency bound then says what to look at.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { HealthStats } from './cliProcess';

/** One request the test sent, with wall-clock times in ms (`performance.timeOrigin + now`). */
export interface Sent {
  what: string;
  start: number;
  end: number;
  /** A POST /api/train answered 202: a run was submitted. */
  submitted?: boolean;
}

export const wallClock = (): number => performance.timeOrigin + performance.now();

/** Lines describing each health call slower than `thresholdMs` (the worst `limit`, in time order). */
export function describeStalls(
  health: HealthStats,
  sent: readonly Sent[],
  log: readonly { at: number; line: string }[],
  thresholdMs = 20,
  limit = 8,
): string[] {
  const stalls = health.samples
    .filter(([, ms]) => ms > thresholdMs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .sort((a, b) => a[0] - b[0]);
  return stalls.map(([start, ms]) => {
    const end = start + ms;
    const overlaps = (a: number, b: number) => a <= end && b >= start;
    const inFlight = sent.filter((s) => overlaps(s.start, s.end)).map((s) => s.what.slice(0, 80));
    const control = health.control.samples.filter(([t, c]) => overlaps(t, t + c)).map(([, c]) => c);
    // Debug lines carry their own time; other lines arrive here a little after they were written.
    const lines = log
      .filter(({ at, line }) => {
        const stamped = / ([\d.]+) ms from ([\d.]+)$/.exec(line);
        if (!stamped) return at >= start && at <= end + 50;
        return overlaps(Number(stamped[2]), Number(stamped[2]) + Number(stamped[1]));
      })
      .map(({ line }) => line.replace(/^\[stitch\] /, ''));
    return [
      `health ${ms.toFixed(1)} ms at ${new Date(start).toISOString().slice(11, 23)}`,
      `control ${control.length > 0 ? `${Math.max(...control).toFixed(1)} ms` : 'no call'}`,
      `in flight: ${inFlight.join(' + ') || 'nothing'}`,
      `server log: ${lines.join(' / ') || 'nothing'}`,
    ].join('; ');
  });
}

/**
 * The server's event-loop blocks from its STITCH_DEBUG_LOOP log: how long each held the loop in all, and how
 * much of that its thread spent on a CPU (Linux; undefined elsewhere). The CPU part is the server's own work
 * between two turns of its loop, whatever the machine's load; the rest was waiting to be scheduled.
 */
export function loopBlocks(
  log: readonly { line: string }[],
): { ms: number; cpuMs: number | undefined; waitMs: number | undefined; from: number; line: string }[] {
  const blocks = [];
  for (const { line } of log) {
    const block =
      /\[loop\] blocked(?: \(on CPU ([\d.]+) ms, waiting for one ([\d.]+) ms\))? ([\d.]+) ms from ([\d.]+)/.exec(line);
    if (block) {
      // The CPU and waiting parts are absent where the server cannot read its thread's schedstat.
      const cpu = block.at(1);
      const wait = block.at(2);
      const [, , , ms, from] = block;
      blocks.push({
        ms: Number(ms),
        cpuMs: cpu === undefined ? undefined : Number(cpu),
        waitMs: wait === undefined ? undefined : Number(wait),
        from: Number(from),
        line,
      });
    }
  }
  return blocks;
}

/** The most CPU one event-loop turn took between two wall-clock times (ms), from the STITCH_DEBUG_LOOP log. */
export function mostCpu(log: readonly { line: string }[], from: number, to: number): number {
  return Math.max(
    0,
    ...loopBlocks(log)
      .filter((b) => b.from >= from && b.from <= to)
      .map((b) => b.cpuMs ?? b.ms),
  );
}

/**
 * Health calls at or over `boundMs` that the server's own work explains: a call during which the server's loop
 * was held by a turn that spent more time waiting for a CPU than on one is the machine's scheduling, not the
 * server (Linux `schedstat`, src/server/debugLoop.ts); on 2 cores a burst of other work does that while the
 * 10-second CPU pressure still reads low. What such a turn computed is bounded separately (`mostCpu`).
 */
export function serverStalls(
  health: HealthStats,
  log: readonly { line: string }[],
  boundMs: number,
): [number, number][] {
  const blocks = loopBlocks(log);
  return health.samples.filter(([start, ms]) => {
    if (ms < boundMs) return false;
    const scheduled = blocks.some(
      (b) =>
        b.from <= start + ms &&
        b.from + b.ms >= start &&
        b.cpuMs !== undefined &&
        b.waitMs !== undefined &&
        b.waitMs > b.cpuMs,
    );
    return !scheduled;
  });
}

/**
 * How busy the machine is, 0–1: the share of the last 10 s in which some task waited for a CPU (Linux's
 * pressure stall information), else the 1-minute load average per core (capped at 1).
 */
export function cpuPressure(): number {
  try {
    const some = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (some) return Number(some[1]) / 100;
  } catch {
    // No PSI on this system.
  }
  return Math.min(1, loadavg()[0] / availableParallelism());
}
