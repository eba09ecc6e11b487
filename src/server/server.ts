/**
 * `startServer(options)`: the run store, the run manager, the model service and the Koa app, listening.
 * Used by `stitch serve`, by `stitch train` (in-process, on an ephemeral port) and by the tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { ExportRunner } from './export/exportRunner';
import { exportableRecord } from './export/runExport';
import type { RunExporter } from './routes/export';
import { join, resolve } from 'node:path';
import type { BackendName, TrainingEvent } from '../shared/protocol';
import { createApp, type AppDeps } from './app';
import { ValidationPool } from './validation/pool';
import { InferenceThread } from './runs/inference';
import { backendProbe } from './backendProbe';
import { debugLoopFromEnv } from './debugLoop';
import { DEFAULT_BODY_LIMIT } from './middleware/jsonBody';
import { ServerPresence } from './runs/presence';
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
  /** Memory budget of each trainer process in MB (heap cap and resident-size limit). Default: half the RAM, at most 4096. */
  trainerMemoryMb?: number;
  /** Open connections at most (SSE streams included); further ones are refused. Default 512. */
  maxConnections?: number;
  /** A request body must arrive within this many ms (else 408). Default 30000. */
  bodyTimeoutMs?: number;
  /** The request headers must arrive within this many ms of connecting (else 408 and closed). Default 10000. */
  headersTimeoutMs?: number;
  /** An export (`POST /api/runs/:run_id/export`) running longer than this is stopped with 503. Default 120000. */
  exportTimeoutMs?: number;
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

/** The server's caps and timeouts; each is a ServerOptions field (docs/reliability.md lists them). */
export const DEFAULT_LIMITS = { maxConnections: 512, bodyTimeoutMs: 30_000, headersTimeoutMs: 10_000 } as const;

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
  // Every VS Code window starts a server on the same runs folder: they leave each other's runs alone.
  const presence = new ServerPresence(store.runsDir, log);
  const runs = new RunManager({
    store,
    presence,
    trainer: options.trainer ?? defaultTrainerLaunch(),
    concurrency: options.concurrency,
    workspace,
    dataCacheDir: resolve(options.dataCacheDir ?? join(stitchHome(), 'data')),
    datasetBaseUrl: options.datasetBaseUrl ?? null,
    backend: options.backend ?? null,
    cancelGraceMs: options.cancelGraceMs,
    trainerMemoryMb: options.trainerMemoryMb,
    log,
    onEvent: options.onEvent,
  });
  const backend = backendProbe(options.backend ?? null, log);
  // Predictions run in a thread of their own (src/server/runs/inference.ts): one sample of a large model can
  // take hundreds of ms, which health and event streams must not wait for.
  const inference = new InferenceThread({ backend: options.backend ?? null, log });
  const models = new ModelService({
    runs,
    inference,
    catalogFile: join(store.runsDir, 'models.json'),
    log,
  });
  const dataCacheDir = resolve(options.dataCacheDir ?? join(stitchHome(), 'data'));
  // Exports run in a worker thread each (src/server/export/exportRunner.ts): reading a run's samples and
  // serialising tens of MB of files would otherwise hold the event loop for seconds.
  const exports = new ExportRunner({ timeoutMs: options.exportTimeoutMs, log });
  const exporter: RunExporter = (runId, format, includeData) => {
    // An unknown or unfinished run is answered at once, without starting a worker.
    const record = exportableRecord(runs.get(runId), runId);
    return exports.run({
      record,
      runsDir: store.runsDir,
      format,
      includeData,
      dataCacheDir,
      workspaceRoot: workspace.rootFor(record.schema_path),
    });
  };
  // Schemas are checked in worker threads, so a large or hostile one never stalls the event loop.
  const validation = new ValidationPool();
  const app = createApp({
    runs,
    models,
    backend,
    workspace,
    log,
    validation,
    token: options.token || undefined,
    allowRemote: options.allowRemote,
    bodyLimit: options.bodyLimit,
    bodyTimeoutMs: options.bodyTimeoutMs,
    keepAliveMs: options.keepAliveMs,
    extraRoutes: options.extraRoutes,
    chat: options.chat,
    exporter,
  });

  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs;
  const handle = app.callback();
  const server: Server = createServer(
    {
      // Slow or stalled clients must not hold connections (docs/reliability.md). Node's timeouts only count
      // until a request has been received, so they never cut a long SSE response. The body has its own,
      // shorter timeout in jsonBody (a JSON 408); this one is the backstop for requests that skip it.
      headersTimeout,
      requestTimeout: Math.max(headersTimeout + 1, (options.bodyTimeoutMs ?? DEFAULT_LIMITS.bodyTimeoutMs) * 2),
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
      keepAliveTimeout: 5_000,
    },
    (req, res) => void handle(req, res),
  );
  // `Expect: 100-continue` (curl sends it for bodies over 1 MB): the client waits for "100 Continue" before
  // sending the body. A body declared over the limit is not asked for: the app answers 413 and the connection
  // is closed (the client may not send the body, or send it anyway), so neither side spends time on it.
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) > bodyLimit) res.setHeader('Connection', 'close');
    else res.writeContinue();
    // Koa's handler answers every error itself; its promise does not reject.
    void handle(req, res);
  });
  // Beyond this, new sockets are closed at once: the server keeps answering the clients it has.
  server.maxConnections = options.maxConnections ?? DEFAULT_LIMITS.maxConnections;
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
    setTimeout(
      () => void backend().catch((err: unknown) => log(`backend probe failed: ${(err as Error).message}`)),
      50,
    ).unref();
  }

  // STITCH_DEBUG_LOOP=1: event-loop blocks and GC pauses in the log (src/server/debugLoop.ts).
  const stopDebugLoop = debugLoopFromEnv(log);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    runs,
    close() {
      closing ??= (async () => {
        stopDebugLoop();
        const stopped = new Promise<void>((done) => server.close(() => done()));
        await runs.close(); // ends every run's stream, so their connections can close
        await validation.close();
        await exports.close();
        await inference.close();
        presence.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
