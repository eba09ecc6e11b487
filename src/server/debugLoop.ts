/**
 * With STITCH_DEBUG_LOOP=1 in its environment, the server logs every event-loop block and garbage collection
 * that could delay an answer, stamped with the wall clock in ms (`performance.timeOrigin + now`, comparable
 * across processes). It is how health stalls are told apart: a block is synchronous work on the event loop,
 * a GC line is the collector. docs/reliability.md, "Health stalls", shows how it was used. Off by default:
 * the timer it runs costs a wake-up every 5 ms.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

/** Blocks and collections shorter than this are not logged. */
const REPORT_MS = 10;
const TICK_MS = 5;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

const wall = (relative: number): string => (performance.timeOrigin + relative).toFixed(1);

/**
 * The main thread's time on a CPU and waiting for one, in ms (Linux's schedstat; its thread id is the pid).
 * A block that was mostly waiting is a machine too busy to run the server, not work on the event loop.
 */
function schedstat(): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return undefined;
  }
}

/** Starts the monitor when the environment asks for it; returns its stop function. */
export function debugLoopFromEnv(log: (line: string) => void): () => void {
  if (!process.env.STITCH_DEBUG_LOOP) return () => undefined;
  let last = performance.now();
  let lastSched = schedstat();
  const timer = setInterval(() => {
    const now = performance.now();
    const sched = schedstat();
    const blocked = now - last - TICK_MS;
    if (blocked >= REPORT_MS) {
      const split =
        sched && lastSched
          ? ` (on CPU ${(sched[0] - lastSched[0]).toFixed(1)} ms, waiting for one ${(sched[1] - lastSched[1]).toFixed(1)} ms)`
          : '';
      log(`[loop] blocked${split} ${blocked.toFixed(1)} ms from ${wall(last + TICK_MS)}`);
    }
    last = now;
    lastSched = sched;
  }, TICK_MS);
  timer.unref();
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < REPORT_MS) continue;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      log(`[gc] ${GC_KINDS[kind] ?? `kind ${kind}`} ${entry.duration.toFixed(1)} ms from ${wall(entry.startTime)}`);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    clearInterval(timer);
    gc.disconnect();
  };
}
