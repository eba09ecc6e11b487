/**
 * `stitch serve`: a long-running server. Its first stdout line is exactly
 * `Stitch server listening on http://HOST:PORT` (the VS Code extension waits for it); everything else
 * (requests, runs, trainer output) goes to stderr.
 */
import type { BackendName } from '../../shared/protocol';
import { isLoopbackHost } from '../middleware/hostCheck';
import { RunsDirError } from '../runs/store';
import { startServer } from '../server';

export interface ServeCommandOptions {
  port: number;
  host: string;
  token?: string;
  runsDir?: string;
  dataDir?: string;
  /** One folder per `--workspace` (a multi-root VS Code workspace passes each). */
  workspace?: string[];
  concurrency?: number;
  backend?: BackendName;
  allowRemote: boolean;
  /** See ServerOptions (docs/reliability.md). */
  trainerMemoryMb?: number;
  maxConnections?: number;
  bodyTimeoutMs?: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Starts the server; resolves with a function that stops it. Throws a usage error for unsafe options. */
export async function serveCommand(options: ServeCommandOptions): Promise<() => Promise<void>> {
  const remote =
    options.allowRemote ||
    !isLoopbackHost(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host);
  if (remote && !options.token) {
    throw new UsageError(
      `serving on "${options.host}"${options.allowRemote ? ' with --allow-remote' : ''} makes the server reachable from other machines; give it a token with --token or STITCH_TOKEN`,
    );
  }
  const server = await startServer({
    port: options.port,
    host: options.host,
    token: options.token,
    runsDir: options.runsDir,
    dataCacheDir: options.dataDir,
    workspaceRoot: options.workspace,
    concurrency: options.concurrency,
    backend: options.backend ?? null,
    allowRemote: remote,
    trainerMemoryMb: options.trainerMemoryMb,
    maxConnections: options.maxConnections,
    bodyTimeoutMs: options.bodyTimeoutMs,
    log: (line) => options.err(`[stitch] ${line}`),
  }).catch((err: unknown) => {
    throw err instanceof RunsDirError ? new UsageError(err.message) : err;
  });
  options.out(`Stitch server listening on ${server.url}`);
  return () => server.close();
}

export class UsageError extends Error {}
