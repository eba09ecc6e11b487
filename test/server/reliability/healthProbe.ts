/**
 * A separate process that asks GET /api/health every few milliseconds and, when its stdin closes, prints
 * the latencies as JSON. Being its own process, its measurements are the server's latency, not delays of a
 * test process busy generating requests. It measures a control at the same time: a bare HTTP server that
 * does nothing, in a process of its own like the server (so both pay the same scheduling), so that a machine
 * too busy to schedule processes on time (a shared CI runner) can be told apart from a server that blocks.
 * It prints `ready` once both have answered a first call, so the test measures from its first request on.
 * Each call is kept with its wall-clock start, so the test can name what it was sending during a stall.
 * Usage: node --import tsx healthProbe.ts URL [intervalMs]
 */
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';

const [url, interval = '10'] = process.argv.slice(2);
let stopping = false;

interface Series {
  latencies: number[];
  /** Each answered call as [wall-clock start in ms, latency in ms]. */
  samples: [number, number][];
  failures: number;
}

const round = (v: number): number => Math.round(v * 10) / 10;

function poll(target: string, series: Series, onFirst: () => void): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const again = () => setTimeout(next, Number(interval));
  const next = (): void => {
    if (stopping) return;
    const started = performance.now();
    const request = get(target, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        const latency = performance.now() - started;
        if (response.statusCode === 200) {
          series.latencies.push(latency);
          series.samples.push([round(performance.timeOrigin + started), round(latency)]);
          if (series.samples.length === 1) onFirst();
        } else series.failures++;
        again();
      });
    });
    request.setTimeout(5000, () => request.destroy(new Error('timeout')));
    request.on('error', () => {
      series.failures++;
      again();
    });
  };
  next();
}

function stats(series: Series) {
  const sorted = [...series.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    failures: series.failures,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
    samples: series.samples,
  };
}

const stitch: Series = { latencies: [], samples: [], failures: 0 };
const control: Series = { latencies: [], samples: [], failures: 0 };
let first = 0;
const onFirst = () => {
  if (++first === 2) process.stdout.write('ready\n');
};
const BARE_SERVER = `const s = require('node:http').createServer((q, r) => r.end('{"ok":true}'));
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
bare.stdout.setEncoding('utf8').once('data', (port: string) => {
  poll(`${url}/api/health`, stitch, onFirst);
  poll(`http://127.0.0.1:${port.trim()}/`, control, onFirst);
});
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  process.stdout.write(JSON.stringify({ ...stats(stitch), control: stats(control) }) + '\n');
  bare.kill();
  process.exit(0);
});
