/**
 * `stitch train FILE`: validates the schema, submits it to a server (a new in-process one on a free port,
 * or `--server URL`), follows the run's event stream and prints progress, then the test metrics.
 * Exit code 0 only when the run succeeded (and reached `--min-accuracy`); Ctrl+C cancels the run.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isInside } from '../data/paths';
import type { BackendName, StateEvent, TrainResponse } from '../../shared/protocol';
import { analyzeSchemaText } from '../../shared/schema';
import type { StitchSchema } from '../../shared/schema/types';
import { startServer, type RunningServer } from '../server';
import { StitchClient, StitchHttpError } from '../../shared/client';
import { ProgressReporter, type ProgressOutput } from './progress';
import { formatAnalysis } from './validate';

export interface TrainCommandOptions {
  file: string;
  /** A running server to use instead of an in-process one. */
  server?: string;
  token?: string;
  /** Fail (exit 1) when the test accuracy is below this. */
  minAccuracy?: number;
  /** Overrides of the schema's training section. */
  epochs?: number;
  maxSamples?: number;
  /** Backend of the in-process server. */
  backend?: BackendName;
  runsDir?: string;
  dataDir?: string;
  workspace?: string;
  verbose?: boolean;
  out: ProgressOutput;
  err: (line: string) => void;
  /** Aborted on Ctrl+C or SIGTERM (first: cancel the run). */
  interrupt?: AbortSignal;
  /** Aborted on a second one: stop at once (the in-process server stops its run: failed, not left running). */
  quit?: AbortSignal;
  /** How long the server may take to answer the start and the cancel (default 60 s; a stuck server). */
  requestTimeoutMs?: number;
}

/** Reads and checks the schema, applying the command-line overrides. Returns null (after printing why) if invalid. */
function loadSchema(options: TrainCommandOptions): StitchSchema | null {
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (err) {
    options.err(
      `${options.file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
    return null;
  }
  const analysis = analyzeSchemaText(text);
  if (!analysis.schema) {
    for (const line of formatAnalysis(options.file, text, analysis).lines) options.err(line);
    options.err('fix these problems (`stitch validate FILE` lists them again) and train again');
    return null;
  }
  const schema = structuredClone(analysis.schema);
  if (schema.training && options.epochs !== undefined) schema.training.epochs = options.epochs;
  if (schema.training && options.maxSamples !== undefined) schema.training.maxSamples = options.maxSamples;
  return schema;
}

/** The in-process server's workspace: the current folder if it holds the file, else the file's folder. */
function workspaceFor(file: string, explicit?: string): string {
  if (explicit) return resolve(explicit);
  return isInside(process.cwd(), file) ? process.cwd() : dirname(file);
}

/** Ctrl+C (or SIGTERM) before any run was created: nothing to cancel. */
function interruptedBeforeStart(options: TrainCommandOptions): number {
  options.err('interrupted before the run started; nothing was trained');
  return 1;
}

export async function trainCommand(options: TrainCommandOptions): Promise<number> {
  const schema = loadSchema(options);
  if (!schema) return 1;
  const file = resolve(options.file);
  let server: RunningServer | undefined;
  try {
    if (!options.server) {
      server = await startServer({
        port: 0,
        runsDir: options.runsDir,
        dataCacheDir: options.dataDir,
        workspaceRoot: workspaceFor(file, options.workspace),
        backend: options.backend ?? null,
        probeBackend: false,
        log: options.verbose ? (line) => options.err(`[stitch] ${line}`) : () => undefined,
      });
    } else if (options.backend) {
      options.err('note: --backend applies to the in-process server only; the remote server uses its own setting');
    }
    options.quit?.addEventListener('abort', () => void server?.close(), { once: true });
    if (options.interrupt?.aborted) return interruptedBeforeStart(options);
    const client = new StitchClient(server?.url ?? options.server!.replace(/\/+$/, ''), options.token, {
      unreachable: 'Is it running?',
    });
    return await follow(client, schema, server ? file : undefined, options);
  } catch (err) {
    options.err(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    await server?.close();
  }
}

async function follow(
  client: StitchClient,
  schema: StitchSchema,
  schemaPath: string | undefined,
  options: TrainCommandOptions,
): Promise<number> {
  const reporter = new ProgressReporter(options.out);
  reporter.expectEpochs(schema.training?.epochs ?? 0);
  let started: TrainResponse;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const request = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.interrupt ? [options.interrupt] : [])]);
  try {
    started = await client.train({ schema, schemaPath }, request);
  } catch (err) {
    if (options.interrupt?.aborted) {
      options.err('interrupted while the run was being created; a remote server may have started it (see its runs)');
      return 1;
    }
    if (request.aborted) {
      options.err(`error: the server did not answer the start of the run within ${timeoutMs / 1000} s; is it stuck?`);
      return 1;
    }
    if (err instanceof StitchHttpError && err.status === 422) {
      const errors = (err.body as { errors?: { path: string; message: string }[] } | undefined)?.errors ?? [];
      for (const e of errors) options.err(`${options.file}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
      return 1;
    }
    throw err;
  }
  const runId = started.run_id;
  let cancelling = false;
  const onInterrupt = (): void => {
    if (cancelling) return;
    cancelling = true;
    reporter.line('cancelling the run (press Ctrl+C again to quit at once)…');
    client
      .cancel(runId, AbortSignal.timeout(timeoutMs))
      .catch((e: unknown) => options.err(`could not cancel: ${e instanceof Error ? e.message : String(e)}`));
  };
  options.interrupt?.addEventListener('abort', onInterrupt);
  // Ctrl+C while the run was being created: no 'abort' event comes any more, so the run is cancelled now.
  if (options.interrupt?.aborted) onInterrupt();
  let final: StateEvent | undefined;
  try {
    for await (const event of client.events(runId)) {
      if (event.event === 'batch') reporter.batch(event.data);
      else if (event.event === 'metric') reporter.metric(event.data);
      else if (event.event === 'state') {
        reporter.state(event.data);
        final = event.data;
      }
    }
  } finally {
    options.interrupt?.removeEventListener('abort', onInterrupt);
  }
  return report(client, runId, final, reporter, options);
}

async function report(
  client: StitchClient,
  runId: string,
  final: StateEvent | undefined,
  reporter: ProgressReporter,
  options: TrainCommandOptions,
): Promise<number> {
  if (!final || final.state === 'failed') {
    reporter.line(`run ${runId} failed: ${final?.error ?? 'the event stream ended without a final state'}`);
    return 1;
  }
  if (final.state === 'cancelled') {
    reporter.line(`run ${runId} cancelled`);
    return 1;
  }
  const test = final.test;
  const accuracy = test?.accuracy ?? null;
  reporter.line(`run ${runId} succeeded on ${final.backend ?? 'an unknown backend'}`);
  if (test && test.samples > 0) {
    const acc = accuracy === null ? 'n/a' : accuracy.toFixed(4);
    reporter.line(
      `test accuracy: ${acc}  test loss: ${Number.isFinite(test.loss) ? test.loss.toFixed(4) : 'n/a'}  (${test.samples} samples)`,
    );
  } else {
    reporter.line('test accuracy: n/a (the dataset has no test samples)');
  }
  // A run without a saved model (or a server that cannot say) just prints no model line.
  const model = await client.model(runId).catch(() => undefined);
  if (model) reporter.line(`model: ${model.path}`);
  if (options.minAccuracy !== undefined && (accuracy === null || accuracy < options.minAccuracy)) {
    reporter.line(
      `test accuracy ${accuracy === null ? 'n/a' : accuracy.toFixed(4)} is below --min-accuracy ${options.minAccuracy}`,
    );
    return 1;
  }
  return 0;
}
