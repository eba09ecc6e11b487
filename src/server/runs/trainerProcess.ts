/**
 * One trainer child process per run (`child_process.fork` of the trainer entry), supervised: its messages
 * are forwarded, its stderr is kept for error reports, and however it ends — a terminal message, a cancel,
 * a crash or `kill -9` from outside — `onExit` is called exactly once with what the run's outcome is.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SamplePrediction } from '../../shared/protocol';
import type { StartMessage, TrainerToParent } from '../training/ipc';

/** How to start the trainer: the bundle's `dist/trainer.js`, or the TypeScript source through tsx in tests. */
export interface TrainerLaunch {
  path: string;
  execArgv?: string[];
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
  | { state: 'succeeded'; test: { loss: number; accuracy: number | null; samples: number }; params: number; inputShape: number[]; samples: SamplePrediction[] }
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
  log: (line: string) => void;
}

const STDERR_TAIL_LINES = 12;

export class TrainerProcess {
  private readonly child: ChildProcess;
  private terminal: TrainerOutcome | undefined;
  private cancelRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private stderrTail: string[] = [];
  private readonly exited: Promise<void>;

  constructor(start: StartMessage, private readonly options: TrainerProcessOptions, callbacks: TrainerCallbacks) {
    const tag = `[run ${start.runId}]`;
    this.child = fork(options.launch.path, [], {
      execArgv: options.launch.execArgv ?? [],
      // stdout is piped too: the CLI's first stdout line is the "listening" line the extension waits for.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: process.env,
      // Its own process group: Ctrl+C in a terminal running `stitch train` must reach the CLI (which
      // cancels the run properly), not kill the trainer mid-epoch. It still stops when we disconnect.
      detached: process.platform !== 'win32',
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => logLines(text, (l) => options.log(`${tag} ${l}`)));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) =>
      logLines(text, (line) => {
        options.log(`${tag} ${line}`);
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }),
    );
    this.child.on('message', (raw) => this.message(raw as TrainerToParent, callbacks));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        clearTimeout(this.killTimer);
        callbacks.onExit(this.outcome(code, signal));
        resolve();
      });
    });
    this.child.on('error', (err) => options.log(`${tag} trainer process error: ${err.message}`));
    this.child.send(start, (err) => {
      if (err) options.log(`${tag} could not send the start message: ${err.message}`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the trainer to stop, and kills it if it has not exited after the grace period. */
  cancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.child.connected) this.child.send({ type: 'cancel' }, () => undefined);
    this.killAfter(this.options.cancelGraceMs ?? 400);
  }

  /** Kills the trainer at once (server shutdown) and resolves when it has exited. */
  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  private message(message: TrainerToParent, callbacks: TrainerCallbacks): void {
    switch (message.type) {
      case 'succeeded':
        this.terminal = { state: 'succeeded', test: message.test, params: message.params, inputShape: message.inputShape, samples: message.samples };
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
    this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    this.killTimer.unref();
  }

  /** The run's outcome: what the trainer said, else a cancel, else an explanation of the crash. */
  private outcome(code: number | null, signal: NodeJS.Signals | null): TrainerOutcome {
    if (this.terminal) return this.terminal;
    if (this.cancelRequested) return { state: 'cancelled' };
    const tail = this.stderrTail.join('\n').trim();
    const detail = tail ? `; its last output was:\n${tail}` : '';
    if (signal) {
      return {
        state: 'failed',
        error: `the trainer process was killed (${signal}) before the run finished; it may have run out of memory or been stopped from outside — try a smaller batchSize or maxSamples and train again${detail}`,
      };
    }
    return {
      state: 'failed',
      error: code === 0
        ? 'the trainer process exited without reporting a result; train again, and report a bug if it keeps happening'
        : `the trainer process exited with code ${code} before the run finished${detail}`,
    };
  }
}

function logLines(text: string, log: (line: string) => void): void {
  for (const line of text.split(/\r?\n/)) if (line.trim()) log(line);
}
