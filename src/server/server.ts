/**
 * `startServer(options)`: the run store, the run manager, the model service and the Koa app, listening.
 * Used by `stitch serve`, by `stitch train` (in-process, on an ephemeral port) and by the tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackendName, TrainingEvent } from '../shared/protocol';
import { createApp, type AppDeps } from './app';
import { backendProbe } from './backendProbe';
import { RunManager } from './runs/manager';
import { ModelService } from './runs/models';
import { RunStore } from './runs/store';
import { defaultTrainerLaunch, type TrainerLaunch } from './runs/trainerProcess';
import { Workspace } from './workspace';

export interface ServerOptions {
  /** Default 0: a free port chosen by the system. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Bearer token for /api/*; undefined = none. */
  token?: string;
  /** Default ~/.stitch/runs. */
  runsDir?: string;
  /** Default ~/.stitch/data. */
  dataCacheDir?: string;
  /** The folder(s) schema and dataset files may be read from. Default the current directory. */
  workspaceRoot?: string | readonly string[];
  /** Default false; see AppDeps.allowRemote. */
  allowRemote?: boolean;
  /** Runs trained at once. Default 1. */
  concurrency?: number;
  /** Forced TensorFlow.js backend; default: the trainer chooses (tensorflow → wasm → cpu, or STITCH_BACKEND). */
  backend?: BackendName | null;
  /** Default 10 MB. */
  bodyLimit?: number;
  /** Default 15000. */
  keepAliveMs?: number;
  /** Where built-in image datasets are downloaded from when not cached; default: the trainer's default. */
  datasetBaseUrl?: string | null;
  /** Default: dist/trainer.js next to the bundle, or the TypeScript source through tsx. */
  trainer?: TrainerLaunch;
  /** After a cancel, ms before the trainer is killed. Default 400. */
  cancelGraceMs?: number;
  /** Default: stderr. */
  log?: (line: string) => void;
  /** Determine the backend right after listening (default true); tests that never need it can skip it. */
  probeBackend?: boolean;
  extraRoutes?: AppDeps['extraRoutes'];
  /** The chat's provider defaults; see AppDeps.chat. */
  chat?: AppDeps['chat'];
  /** Called with every training event as it is published (e.g. the bench measures stream latency). */
  onEvent?: (event: TrainingEvent, runId: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  runs: RunManager;
  /** Stops accepting requests, ends streams, stops trainers (active runs become failed). */
  close(): Promise<void>;
}

export function stitchHome(): string {
  return process.env.STITCH_HOME || join(homedir(), '.stitch');
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[stitch] ${line}\n`));
  const roots = options.workspaceRoot ?? process.cwd();
  const workspace = new Workspace(typeof roots === 'string' ? [roots] : roots);
  const store = new RunStore(resolve(options.runsDir ?? join(stitchHome(), 'runs')));
  const runs = new RunManager({
    store,
    trainer: options.trainer ?? defaultTrainerLaunch(),
    concurrency: options.concurrency,
    workspace,
    dataCacheDir: resolve(options.dataCacheDir ?? join(stitchHome(), 'data')),
    datasetBaseUrl: options.datasetBaseUrl ?? null,
    backend: options.backend ?? null,
    cancelGraceMs: options.cancelGraceMs,
    log,
    onEvent: options.onEvent,
  });
  const backend = backendProbe(options.backend ?? null, log);
  const models = new ModelService({ runs, ensureBackend: backend });
  const app = createApp({
    runs, models, backend, workspace, log,
    token: options.token || undefined,
    allowRemote: options.allowRemote,
    bodyLimit: options.bodyLimit,
    keepAliveMs: options.keepAliveMs,
    extraRoutes: options.extraRoutes,
    chat: options.chat,
  });

  const server: Server = createServer(app.callback());
  // SSE streams are long-lived; Node's default request timeouts would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (options.probeBackend !== false) {
    // After the caller printed "listening": loading TensorFlow.js blocks this process for a moment.
    setTimeout(() => void backend().catch((err: unknown) => log(`backend probe failed: ${(err as Error).message}`)), 50).unref();
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    runs,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((done) => server.close(() => done()));
        await runs.close(); // ends every run's stream, so their connections can close
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
