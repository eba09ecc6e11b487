/** `stitch serve` as its own process (the TypeScript entry through tsx), for tests that kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLI = join(__dirname, '../../../src/server/cli.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** Each line of its log with the wall-clock time it arrived here (`performance.timeOrigin + now`, in ms). */
  logLines: () => { at: number; line: string }[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** Starts `stitch serve --port 0 ARGS`; resolves on its listening line, rejects if it exits first. */
export function serveProcess(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--port', '0', ...args], {
      cwd,
      env: { ...process.env, STITCH_TOKEN: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    const lines: { at: number; line: string }[] = [];
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      const at = performance.timeOrigin + performance.now();
      const partial = stderr.length - (stderr.lastIndexOf('\n') + 1);
      stderr += t;
      const complete = stderr.slice(stderr.length - t.length - partial, stderr.lastIndexOf('\n') + 1);
      for (const line of complete.split('\n').slice(0, -1)) lines.push({ at, line });
    });
    void exited.then((code) => reject(new Error(`stitch serve exited ${code}: ${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const line = /^Stitch server listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (line) resolve({ url: line[1], child, stderr: () => stderr, logLines: () => lines, exited });
    });
  });
}

/** Runs `stitch ARGS` to its end. */
export function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd,
      env: { ...process.env, STITCH_TOKEN: '' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LatencyStats {
  count: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
  /** Each answered call as [wall-clock start in ms (`performance.timeOrigin + now`), latency in ms]. */
  samples: [number, number][];
}

/** The server's health latencies, and those of a bare HTTP server measured at the same time. */
export interface HealthStats extends LatencyStats {
  control: LatencyStats;
}

export interface HealthProbe {
  /** Resolves once the server and the control have each answered a first call. */
  ready: Promise<void>;
  stop: () => Promise<HealthStats>;
}

/** Starts healthProbe.ts against `url`; `stop()` resolves with its latency statistics. */
export function startHealthProbe(url: string, intervalMs = 10): HealthProbe {
  const child = spawn(process.execPath, ['--import', TSX, join(__dirname, 'healthProbe.ts'), url, String(intervalMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((done) => (markReady = done));
  child.stdout.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    if (out.startsWith('ready\n')) markReady();
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  return {
    ready,
    async stop() {
      child.stdin.end();
      await exited;
      return JSON.parse(out.replace(/^ready\n/, '')) as HealthStats;
    },
  };
}

/** Submits a schema to a `stitch serve` process and waits until its run succeeded; a failed run fails the test. */
export async function trainedRun(server: Pick<ServeProcess, 'url' | 'stderr'>, schema: unknown): Promise<string> {
  const response = await fetch(`${server.url}/api/train`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ schema }),
  });
  const { run_id: runId } = (await response.json()) as { run_id: string };
  for (let state = ''; state !== 'succeeded';) {
    await new Promise((r) => setTimeout(r, 200));
    state = ((await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as { state: string }).state;
    if (state === 'failed') throw new Error(`run ${runId} failed: ${server.stderr()}`);
  }
  return runId;
}
