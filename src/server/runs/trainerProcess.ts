/**
 * One trainer child process per run (`child_process.fork` of the trainer entry), supervised: its messages
 * are forwarded, its stderr is kept for error reports, and however it ends — a terminal message, a cancel,
 * a crash, `kill -9` from outside, or a start that never happened (fork threw, or the process could not be
 * spawned: too many open files, a missing executable) — `onExit` is called exactly once, asynchronously,
 * with what the run's outcome is.
 *
 * The trainer's memory is capped twice (docs/reliability.md): V8's heap with `--max-old-space-size`, and
 * the whole process (tensors and datasets live outside the V8 heap) by a watchdog that reads its resident
 * size and kills it past the same budget. Either way the run fails with a message that names the cap.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants as osConstants, setPriority } from 'node:os';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SamplePrediction } from '../../shared/protocol';
import type { StartMessage, TrainerToParent } from '../training/ipc';

/** How to start the trainer: the bundle's `dist/trainer.js`, or the TypeScript source through tsx in tests. */
export interface TrainerLaunch {
  path: string;
  execArgv?: string[];
  /** The Node executable that runs the trainer. Default: the server's own (`process.execPath`). */
  execPath?: string;
}

/** Half the machine's memory, at most 4 GB: enough for MNIST-sized work, and the machine stays usable. */
export function defaultTrainerMemoryMb(): number {
  return Math.max(256, Math.min(4096, Math.floor(totalmem() / 1024 / 1024 / 2)));
}

const TSX = 'tsx';

/** `dist/trainer.js` next to the bundle; when running from source, the TypeScript entry through tsx. */
export function defaultTrainerLaunch(): TrainerLaunch {
  const bundled = join(__dirname, 'trainer.js');
  if (existsSync(bundled)) return { path: bundled };
  const source = join(__dirname, '..', 'training', 'trainerMain.ts');
  // tsx by absolute URL: `--import tsx` would be resolved from the current folder, which may be anywhere.
  // (A variable, not a literal, so that bundlers leave this development-only lookup alone.)
  if (existsSync(source)) return { path: source, execArgv: ['--import', pathToFileURL(require.resolve(TSX)).href] };
  return { path: bundled };
}

export type TrainerOutcome =
  | {
      state: 'succeeded';
      test: { loss: number; accuracy: number | null; samples: number };
      params: number;
      inputShape: number[];
      samples: SamplePrediction[];
    }
  | { state: 'failed'; error: string }
  | { state: 'cancelled' };

export interface TrainerCallbacks {
  /** Every non-terminal message (backend, running, log, batch, metric). */
  onMessage(message: TrainerToParent): void;
  /** Called once, after the process has exited. */
  onExit(outcome: TrainerOutcome): void;
}

export interface TrainerProcessOptions {
  launch: TrainerLaunch;
  /** After a cancel, how long the trainer may take to stop before it is killed, in ms. Default 400. */
  cancelGraceMs?: number;
  /** After a terminal message, how long the trainer may take to exit before it is killed, in ms. Default 5000. */
  exitGraceMs?: number;
  /** Memory budget of the trainer in MB (its V8 heap and its resident size). Default `defaultTrainerMemoryMb()`. */
  memoryMb?: number;
  log: (line: string) => void;
}

const STDERR_TAIL_LINES = 12;
/** How often the watchdog reads the trainer's resident size. */
const MEMORY_CHECK_MS = 250;
const PAGE_BYTES = 4096;
/** What V8 prints when the heap cap is reached (`FATAL ERROR: … JavaScript heap out of memory`). */
const HEAP_OOM = /heap out of memory|Allocation failed/i;

export class TrainerProcess {
  private readonly child: ChildProcess | undefined;
  private terminal: TrainerOutcome | undefined;
  private cancelRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private overMemoryMb: number | undefined;
  private stderrTail: string[] = [];
  private ended = false;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => undefined;
  private readonly memoryMb: number;
  private readonly tag: string;

  constructor(
    start: StartMessage,
    private readonly options: TrainerProcessOptions,
    private readonly callbacks: TrainerCallbacks,
  ) {
    this.tag = `[run ${start.runId}]`;
    this.memoryMb = options.memoryMb ?? defaultTrainerMemoryMb();
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    let child: ChildProcess;
    try {
      child = fork(options.launch.path, [], {
        execArgv: [...(options.launch.execArgv ?? []), `--max-old-space-size=${this.memoryMb}`],
        execPath: options.launch.execPath,
        // stdout is piped too: the CLI's first stdout line is the "listening" line the extension waits for.
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: process.env,
        // Its own process group: Ctrl+C in a terminal running `stitch train` must reach the CLI (which
        // cancels the run properly), not kill the trainer mid-epoch. It still stops when we disconnect.
        detached: process.platform !== 'win32',
      });
    } catch (err) {
      // fork throws for some failures (e.g. no pipe can be created when file descriptors run out). The run
      // fails; onExit is deferred so the caller has finished setting up before it hears of the end.
      this.child = undefined;
      setImmediate(() => this.end(startFailed(err)));
      return;
    }
    this.child = child;
    lowerPriority(child);
    child.stdout
      ?.setEncoding('utf8')
      .on('data', (text: string) => logLines(text, (l) => options.log(`${this.tag} ${l}`)));
    child.stderr?.setEncoding('utf8').on('data', (text: string) =>
      logLines(text, (line) => {
        options.log(`${this.tag} ${line}`);
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }),
    );
    child.on('message', (raw) => this.message(raw as TrainerToParent));
    child.on('exit', (code, signal) => this.end(this.outcome(code, signal)));
    child.on('error', (err) => {
      // A process that never started (spawn ENOENT, EMFILE, EAGAIN) emits 'error' and never 'exit'.
      if (child.pid === undefined) this.end(startFailed(err));
      else options.log(`${this.tag} trainer process error: ${err.message}`);
    });
    if (child.pid !== undefined) this.watchMemory(child.pid);
    child.send(start, (err) => {
      if (err) options.log(`${this.tag} could not send the start message: ${err.message}`);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Asks the trainer to stop, and kills it if it has not exited after the grace period. */
  cancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    // The callback swallows a send error on purpose: the trainer is going away anyway, and the kill below
    // ends it if the message never arrives.
    if (this.child?.connected) this.child.send({ type: 'cancel' }, () => undefined);
    this.killAfter(this.options.cancelGraceMs ?? 400);
  }

  /** Kills the trainer at once (server shutdown) and resolves when it has exited. */
  kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    return this.exited;
  }

  /** Calls onExit once, whichever of 'exit', 'error' or a failed fork comes first. */
  private end(outcome: TrainerOutcome): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.killTimer);
    clearTimeout(this.memoryTimer);
    this.callbacks.onExit(outcome);
    this.markExited();
  }

  /**
   * Kills the trainer when its resident size passes the budget (Linux: /proc; elsewhere only the heap cap
   * applies). Reads are asynchronous and a few a second, so the watchdog costs the server nothing.
   */
  private watchMemory(pid: number): void {
    if (process.platform !== 'linux') return;
    const check = async () => {
      try {
        const statm = await readFile(`/proc/${pid}/statm`, 'utf8');
        const rssMb = (Number(statm.split(' ')[1]) * PAGE_BYTES) / 1024 / 1024;
        if (rssMb > this.memoryMb && !this.ended) {
          this.overMemoryMb = Math.round(rssMb);
          this.child?.kill('SIGKILL');
          return;
        }
      } catch {
        return; // the process is gone; 'exit' reports how
      }
      if (!this.ended) this.memoryTimer = setTimeout(() => void check(), MEMORY_CHECK_MS).unref();
    };
    this.memoryTimer = setTimeout(() => void check(), MEMORY_CHECK_MS).unref();
  }

  private message(message: TrainerToParent): void {
    const callbacks = this.callbacks;
    switch (message.type) {
      case 'succeeded':
        this.terminal = {
          state: 'succeeded',
          test: message.test,
          params: message.params,
          inputShape: message.inputShape,
          samples: message.samples,
        };
        this.killAfter(this.options.exitGraceMs ?? 5000);
        return;
      case 'failed':
        this.terminal = { state: 'failed', error: message.error };
        this.killAfter(this.options.exitGraceMs ?? 5000);
        return;
      case 'cancelled':
        this.terminal = { state: 'cancelled' };
        this.killAfter(this.options.exitGraceMs ?? 5000);
        return;
      case 'backend':
      case 'running':
      case 'log':
      case 'batch':
      case 'metric':
      case 'evaluation':
        callbacks.onMessage(message);
        return;
      default: {
        const unknown: never = message;
        this.options.log(`ignored an unknown trainer message ${JSON.stringify(unknown).slice(0, 200)}`);
      }
    }
  }

  private killAfter(ms: number): void {
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => this.child?.kill('SIGKILL'), ms);
    this.killTimer.unref();
  }

  /** The run's outcome: what the trainer said, else a cancel, else an explanation of the crash. */
  private outcome(code: number | null, signal: NodeJS.Signals | null): TrainerOutcome {
    if (this.terminal) return this.terminal;
    if (this.cancelRequested) return { state: 'cancelled' };
    const tail = this.stderrTail.join('\n').trim();
    const detail = tail ? `; its last output was:\n${tail}` : '';
    if (this.overMemoryMb !== undefined || HEAP_OOM.test(tail)) {
      const used = this.overMemoryMb !== undefined ? ` (it used ${this.overMemoryMb} MB)` : '';
      return {
        state: 'failed',
        error:
          `the trainer ran out of memory: it may use ${this.memoryMb} MB${used}; lower batchSize or maxSamples, ` +
          `use a smaller model, or start the server with a larger --trainer-memory-mb`,
      };
    }
    if (signal) {
      return {
        state: 'failed',
        error: `the trainer process was killed (${signal}) before the run finished; it may have run out of memory or been stopped from outside — try a smaller batchSize or maxSamples and train again${detail}`,
      };
    }
    return {
      state: 'failed',
      error:
        code === 0
          ? 'the trainer process exited without reporting a result; train again, and report a bug if it keeps happening'
          : `the trainer process exited with code ${code} before the run finished${detail}`,
    };
  }
}

function logLines(text: string, log: (line: string) => void): void {
  for (const line of text.split(/\r?\n/)) if (line.trim()) log(line);
}

function startFailed(err: unknown): TrainerOutcome {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const hint =
    code === 'EMFILE' || code === 'ENFILE'
      ? 'the server has run out of file descriptors; close other runs or raise the open-file limit (ulimit -n), then train again'
      : code === 'EAGAIN'
        ? 'the system cannot start more processes right now; train again in a moment'
        : 'check that Node.js and the trainer (dist/trainer.js) are installed, then train again';
  return { state: 'failed', error: `the trainer process could not be started (${message}); ${hint}` };
}

/**
 * Training takes every core it gets; the server's event loop must still answer within 50 ms
 * (docs/reliability.md). At a lower priority the trainer yields the CPU whenever the server has work, and
 * trains as fast as before on an otherwise idle machine.
 */
function lowerPriority(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, osConstants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not permitted on this system (or the process already ended): it trains at the normal priority.
  }
}
