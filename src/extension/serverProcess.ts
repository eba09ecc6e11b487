/**
 * Spawning one local Stitch server process (`dist/cli.js serve`) and waiting for its ready line.
 *
 * The server is run by the extension host's own executable with ELECTRON_RUN_AS_NODE=1, so it needs no
 * Node installation on the user's machine. It listens on 127.0.0.1, on a port the OS picks (`--port 0`),
 * and accepts only requests that carry the fresh token passed in its environment. Its first stdout line
 * tells us the address: `Stitch server listening on http://HOST:PORT`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type * as vscode from 'vscode';

export const READY_LINE = /^Stitch server listening on (http:\/\/\S+)\s*$/;

export interface ServerLaunch {
  /** Absolute path of `dist/cli.js`. */
  cliPath: string;
  runsDir: string;
  dataDir: string;
  /** The workspace folders: schema and dataset files may be read from these. */
  workspaces: string[];
  /** `--backend`; undefined lets the server pick. */
  backend?: string;
  token: string;
  /** Extra environment (e.g. OPENAI_API_KEY from SecretStorage); never logged. */
  env?: Record<string, string>;
  readyTimeoutMs: number;
  log: vscode.LogOutputChannel;
}

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
}

/** Starts the server and resolves once it printed its ready line; rejects with an actionable message. */
export function spawnServer(launch: ServerLaunch): Promise<SpawnedServer> {
  const args = [
    launch.cliPath,
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--runs-dir',
    launch.runsDir,
    '--data-dir',
    launch.dataDir,
    ...launch.workspaces.flatMap((folder) => ['--workspace', folder]),
    '--exit-with-stdin',
  ];
  if (launch.backend) args.push('--backend', launch.backend);
  launch.log.info(`starting the server: ${process.execPath} ${args.join(' ')}`);
  const child = spawn(process.execPath, args, {
    // A pipe on stdin that only this process holds: when the extension host dies, it closes, and the server
    // (started with --exit-with-stdin) stops instead of outliving VS Code.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...launch.env, ELECTRON_RUN_AS_NODE: '1', STITCH_TOKEN: launch.token },
  });

  return new Promise<SpawnedServer>((resolve, reject) => {
    let settled = false;
    const recentStderr: string[] = [];
    const finish = (error: Error | undefined, url?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill();
        reject(error);
      } else resolve({ child, url: url! });
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `The Stitch server did not report ready within ${launch.readyTimeoutMs / 1000} s. ` +
              'See "Stitch: Show Server Log"; raise the setting stitch.server.startTimeout on a slow machine.',
          ),
        ),
      launch.readyTimeoutMs,
    );

    forEachLine(child.stdout, (line) => {
      launch.log.info(`[server] ${line}`);
      if (!settled) {
        const ready = READY_LINE.exec(line);
        if (ready) finish(undefined, ready[1]);
      }
    });
    forEachLine(child.stderr, (line) => {
      launch.log.warn(`[server] ${line}`);
      recentStderr.push(line);
      if (recentStderr.length > 5) recentStderr.shift();
    });
    child.once('error', (err) => finish(new Error(`Could not start the Stitch server: ${err.message}`)));
    child.once('exit', (code, signal) =>
      finish(
        new Error(
          `The Stitch server exited (${signal ?? `code ${code}`}) before it was ready` +
            (recentStderr.length ? `: ${recentStderr.join(' | ')}` : '. See "Stitch: Show Server Log".'),
        ),
      ),
    );
  });
}

/** Calls `onLine` for every complete line of a text stream (the last partial line when it ends). */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, newline).replace(/\r$/, ''));
      buffer = buffer.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffer) onLine(buffer);
    buffer = '';
  });
}
