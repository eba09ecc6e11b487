/**
 * Shared by the server tests: a real server on an ephemeral port with a temporary runs folder, the
 * trainer forked from its TypeScript source, tiny spiral schemas, and a fetch-based event reader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunState, TrainingEvent } from '../../src/shared/protocol';
import type { StitchSchema } from '../../src/shared/schema/types';
import { decodeSse } from '../../src/shared/sse/decoder';
import { toTrainingEvent } from '../../src/shared/sse/training';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server';

export const TRAINER = {
  path: join(__dirname, '../../src/server/training/trainerMain.ts'),
  execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
};

export interface TestServer extends RunningServer {
  dir: string;
  logs: string[];
  /** fetch against the server with the test's token (if any). */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Closes the server; `keepDir` leaves the folder for a restart. */
  stop(keepDir?: boolean): Promise<void>;
}

export async function startTestServer(options: ServerOptions & { dir?: string } = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'stitch-server-'));
  const logs: string[] = [];
  const server = await startServer({
    runsDir: join(dir, 'runs'),
    dataCacheDir: join(dir, 'data'),
    workspaceRoot: dir,
    trainer: TRAINER,
    backend: 'cpu',
    probeBackend: false,
    log: (line) => logs.push(line),
    ...options,
  });
  return {
    ...server,
    dir,
    logs,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (options.token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${options.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('Content-Type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(server.url + path, { ...init, headers, body });
    },
    async stop(keepDir = false) {
      await server.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A two-class spiral MLP: trains in well under a second per epoch on the cpu backend. */
export function spiralSchema(overrides: { epochs?: number; samples?: number; name?: string } = {}): StitchSchema {
  return {
    version: 1,
    name: overrides.name ?? 'spiral',
    input: { shape: [2] },
    layers: [
      { id: 'h1', type: 'dense', units: 12, activation: 'relu' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
    training: {
      dataset: { name: 'spiral', samples: overrides.samples ?? 160 },
      epochs: overrides.epochs ?? 2,
      batchSize: 16,
      seed: 7,
    },
  };
}

/** Submits a schema; returns the run id (asserting 202). */
export async function submit(server: TestServer, schema: unknown): Promise<string> {
  const response = await server.api('/api/train', { method: 'POST', json: { schema } });
  const body = (await response.json()) as { run_id?: string; error?: string };
  if (response.status !== 202 || !body.run_id)
    throw new Error(`train answered ${response.status}: ${JSON.stringify(body)}`);
  return body.run_id;
}

/** Reads a run's whole event stream with fetch (until the server ends it). */
export async function readEvents(server: TestServer, runId: string, lastEventId?: number): Promise<TrainingEvent[]> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
  const response = await server.api(`/api/runs/${runId}/events`, { headers });
  if (response.status === 204) return [];
  if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
  const events: TrainingEvent[] = [];
  const text = response.body.pipeThrough(new TextDecoderStream()) as unknown as AsyncIterable<string>;
  for await (const message of decodeSse(text)) {
    const event = toTrainingEvent(message);
    if (event) events.push(event);
  }
  return events;
}

/** Polls GET /api/runs/:id until the run is in one of `states`. */
export async function waitForState(
  server: TestServer,
  runId: string,
  states: RunState[],
  timeoutMs = 30_000,
): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await (await server.api(`/api/runs/${runId}`)).json()) as { state: RunState };
    if (states.includes(run.state)) return run.state;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} is still ${run.state} after ${timeoutMs} ms (wanted ${states.join('/')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
