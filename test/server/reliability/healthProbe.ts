/**
 * A separate process that asks GET /api/health every few milliseconds and, when its stdin closes, prints
 * the latencies as JSON. Being its own process, its measurements are the server's latency, not delays of a
 * test process busy generating requests. It measures a control at the same time: a bare HTTP server that
 * does nothing, in a process of its own like the server (so both pay the same scheduling), so that a machine too busy to schedule processes on time (a shared CI runner) can be told
 * apart from a server that blocks. Usage: node --import tsx healthProbe.ts URL [intervalMs]
 */
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';

const [url, interval = '10'] = process.argv.slice(2);
let stopping = false;

interface Series {
  latencies: number[];
  failures: number;
}

function poll(target: string, series: Series): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const again = () => setTimeout(next, Number(interval));
  const next = (): void => {
    if (stopping) return;
    const started = performance.now();
    const request = get(target, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode === 200) series.latencies.push(performance.now() - started);
        else series.failures++;
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
  return { count: sorted.length, failures: series.failures, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

const stitch: Series = { latencies: [], failures: 0 };
const control: Series = { latencies: [], failures: 0 };
const BARE_SERVER = `const s = require('node:http').createServer((q, r) => r.end('{"ok":true}'));
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
bare.stdout.setEncoding('utf8').once('data', (port: string) => {
  poll(`${url}/api/health`, stitch);
  poll(`http://127.0.0.1:${port.trim()}/`, control);
});
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  process.stdout.write(JSON.stringify({ ...stats(stitch), control: stats(control) }) + '\n');
  bare.kill();
  process.exit(0);
});
