/**
 * How long data-parallel training (dataParallel.ts) waits on its workers before it gives up on them, and the
 * one fault a test can make a worker simulate. Why bounds at all: a worker that never answers would
 * otherwise leave the run `running` forever (docs/reliability.md: every failure ends in a clean state).
 */

export interface DataParallelTimeouts {
  /**
   * Start-up (loading tfjs and the backend in every worker, building its replica) and the first step, which
   * also warms the kernels up. Default 120 s; `STITCH_DP_START_TIMEOUT_MS`.
   */
  startMs: number;
  /**
   * The least any later step (or weight sync) is waited for: the bound is the larger of this and
   * STEP_BOUND_FACTOR × the slowest step seen so far. Default 30 s; `STITCH_DP_STEP_TIMEOUT_MS`.
   */
  stepMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<DataParallelTimeouts> = { startMs: 120_000, stepMs: 30_000 };

/** A step 20× slower than every step before it is not a slow machine: the worker is stuck. */
export const STEP_BOUND_FACTOR = 20;

function millis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name}="${value}" is not a time in milliseconds; use a whole number ≥ 1 or unset it`);
  return n;
}

/** The bounds the environment sets, each defaulting to DEFAULT_TIMEOUTS; throws on a bad value. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): DataParallelTimeouts {
  return {
    startMs: millis(env, 'STITCH_DP_START_TIMEOUT_MS', DEFAULT_TIMEOUTS.startMs),
    stepMs: millis(env, 'STITCH_DP_STEP_TIMEOUT_MS', DEFAULT_TIMEOUTS.stepMs),
  };
}

/** "did not answer for 1.5 s": milliseconds below a second, else seconds (to a tenth below 10 s). */
export function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? Math.round(s * 10) / 10 : Math.round(s)} s`;
}

const FAULT_KINDS = ['start-throw', 'start-hang', 'hang', 'throw', 'exit'] as const;
export type TestFaultKind = (typeof FAULT_KINDS)[number];

/** What a worker does at its `step`-th step (1-based; ignored by the start-* kinds). */
export interface TestFault {
  kind: TestFaultKind;
  step: number;
}

/**
 * TEST ONLY: `STITCH_DP_TEST_FAULT=KIND:WORKER[:STEP]` makes data-parallel worker WORKER (1-based) fail on
 * purpose, so the tests can show what each failure ends in with real threads: `start-throw` / `start-hang`
 * (throws / spins forever while it starts), `throw`, `hang` (spins forever, never answering) or `exit`
 * (ends its thread with code 3) at its STEP-th step. Returns that worker's fault, or null.
 */
export function testFaultFor(worker: number, env: NodeJS.ProcessEnv = process.env): TestFault | null {
  const value = env.STITCH_DP_TEST_FAULT?.trim();
  if (!value) return null;
  // A missing WORKER is undefined at run time, and fails the test like any other non-number.
  const [kind, which, step = '1'] = value.split(':');
  if (!(FAULT_KINDS as readonly string[]).includes(kind) || !/^\d+$/.test(which) || !/^\d+$/.test(step))
    throw new Error(`STITCH_DP_TEST_FAULT="${value}" is not KIND:WORKER[:STEP] (KIND: ${FAULT_KINDS.join(', ')})`);
  return Number(which) === worker + 1 ? { kind: kind as TestFaultKind, step: Number(step) } : null;
}
