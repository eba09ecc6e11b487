/**
 * Training a schema document: checks it with the schema core, starts a run on the server, follows its
 * SSE events into `active` (the status bar item and the runs view render it; the panel follows the same
 * events), then reports the outcome: test accuracy with "Show Metrics" and "Evaluate", or the server's own failure message.
 *
 * No progress notification: a toast that stays up for the whole run covers the charts and the chat input
 * (docs/extension.md, "Progress and notifications"). A run says it started in a status-bar message, and
 * only its end gets a notification. Cancelling is in the status item's menu and "Stitch: Cancel Run".
 */
import * as vscode from 'vscode';
import { isClientError } from '../shared/client';
import { followRunEvents, type RunStreamSource } from '../shared/sse/follow';
import type { RunState, StateEvent, TrainingEvent } from '../shared/protocol';
import { isTerminal } from '../shared/protocol';
import { TRAINING_DEFAULTS, type StitchSchema } from '../shared/schema/types';
import { assertNever } from '../shared/webviewProtocol';
import * as path from 'node:path';
import type { ServerController } from './serverController';
import { analyzeDocument } from './schemaDocuments';
import { showError } from './showError';

/** A run this window started and is following. */
export interface ActiveRun {
  runId: string;
  name: string;
  state: RunState;
  /** 0..1 over the whole run. */
  progress: number;
  /** The epoch being trained (1-based; 0 before the first batch), counted as the panel counts it. */
  epoch: number;
  /** From the schema's `training.epochs` until the server's first metric says otherwise. */
  epochs: number;
  /** The batch within `epoch`, and how many it has (0 before the first batch event). */
  batch: number;
  batches: number;
}

export interface TrainOutcome {
  runId: string;
  name: string;
  state: RunState;
  error?: string;
  testAccuracy?: number | null;
  testLoss?: number;
}

export class RunTracker implements vscode.Disposable {
  readonly active = new Map<string, ActiveRun>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts, progresses or ends (the status bar and the runs view listen). */
  readonly onDidChange = this.changed.event;
  /** The last outcome, for tests and the "Show Metrics" default. */
  lastOutcome: TrainOutcome | undefined;
  private readonly subscription: vscode.Disposable;
  /** The runs being followed, aborted at deactivation. */
  private readonly follows = new Set<AbortController>();
  private disposed = false;

  constructor(private readonly server: ServerController) {
    this.subscription = server.onDidChangeState((state) => {
      if (state.kind === 'ready') void this.recallLastOutcome();
    });
  }

  /**
   * The run the status bar shows and Show Training Metrics opens: the one training now (the first running),
   * else the first queued (a second run waits in the server's queue while the first trains).
   */
  get current(): ActiveRun | undefined {
    const active = [...this.active.values()];
    return active.find((r) => r.state === 'running') ?? active.at(0);
  }

  dispose(): void {
    this.disposed = true;
    for (const follow of this.follows) follow.abort();
    this.subscription.dispose();
    this.changed.dispose();
  }

  /**
   * After a window reload or a restart of VS Code this window has followed no run yet: once the server is
   * ready (it starts lazily, so not at activation), the newest finished run in its list stands in as the last
   * outcome, and the status bar shows that run's result instead of a plain "Stitch".
   */
  async recallLastOutcome(): Promise<void> {
    const client = this.server.readyClient;
    if (this.lastOutcome || !client) return;
    let runs;
    try {
      runs = await client.runs();
    } catch (err) {
      // Only a nicety: the item keeps its plain text, and the reason goes to the log.
      this.server.log.warn(`could not read the last run for the status bar: ${(err as Error).message}`);
      return;
    }
    const last = runs
      .filter((r) => isTerminal(r.state) && r.finished_at !== null)
      .sort((a, b) => (b.finished_at ?? '').localeCompare(a.finished_at ?? ''))
      .at(0);
    if (!last) return;
    // `??=`: a run this window followed that ended during the request stays the last outcome.
    this.lastOutcome ??= {
      runId: last.run_id,
      name: last.name,
      state: last.state,
      error: last.error ?? undefined,
      testAccuracy: last.test?.accuracy,
      testLoss: last.test?.loss,
    };
    this.changed.fire();
  }

  /** Trains the document's schema; resolves when the run ended (undefined when it could not start). */
  async train(document: vscode.TextDocument): Promise<TrainOutcome | undefined> {
    const schema = this.checkedSchema(document);
    if (!schema) return undefined;
    const name = schema.name ?? path.basename(document.uri.path).replace(/\.stitch\.json$/, '');
    try {
      const client = await this.server.ensureStarted();
      const { run_id: runId } = await client.train({ schema, schemaPath: schemaPathFor(document) });
      this.server.log.info(`run ${runId} started for ${document.uri.toString()}`);
      // The start is worth a word, not a toast: it goes by itself, and the status item carries on.
      vscode.window.setStatusBarMessage(`$(play) Stitch: training ${name} started`, 5000);
      const epochs = schema.training?.epochs ?? TRAINING_DEFAULTS.epochs;
      const final = await this.follow({
        runId,
        name,
        state: 'queued',
        progress: 0,
        epoch: 0,
        epochs,
        batch: 0,
        batches: 0,
      });
      return this.report(name, final);
    } catch (err) {
      if (!this.disposed) showError(this.server.log, (err as Error).message); // not after deactivation
      return undefined;
    }
  }

  /** The document's schema when the schema core finds no error; otherwise says so, offering the Problems panel. */
  private checkedSchema(document: vscode.TextDocument): StitchSchema | undefined {
    const analysis = analyzeDocument(document);
    const errors = analysis.problems.filter((p) => p.severity === 'error');
    if (errors.length === 0 && analysis.schema) return analysis.schema;
    const first = errors[0] ? ` First: ${errors[0].path ? `${errors[0].path}: ` : ''}${errors[0].message}` : '';
    void vscode.window
      .showErrorMessage(
        `${path.basename(document.uri.path)} has ${errors.length} problem(s) to fix before training.${first}`,
        'Show Problems',
      )
      .then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
    return undefined;
  }

  /**
   * Follows the run's events into `run` until its final state. Each connection goes through the server of the
   * moment: after the server was killed and restarted (another port and token), the new one replays the rest,
   * down to the final state it gave the run.
   */
  private async follow(run: ActiveRun): Promise<StateEvent> {
    this.active.set(run.runId, run);
    this.changed.fire();
    const abort = new AbortController();
    this.follows.add(abort);
    const source: RunStreamSource = {
      open: (after) => {
        const client = this.server.readyClient;
        if (!client)
          throw new Error(
            this.server.state.kind === 'crashed'
              ? `the Stitch server stopped during run ${run.runId} and is not restarted; run "Stitch: Restart Server" to see how the run ended`
              : 'the Stitch server is being restarted',
          );
        return client.openEvents(run.runId, after, abort.signal);
      },
      // A server that gave up restarting (crashed) ends the follow; otherwise it waits for the server as long
      // as it takes (a remote one across a network outage, where the run goes on training).
      isFatal: (err) => abort.signal.aborted || isClientError(err) || this.server.state.kind === 'crashed',
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    try {
      for await (const event of followRunEvents(source, { retries: Infinity, maxRetryMs: 5000 })) {
        const final = applyEvent(run, event);
        this.changed.fire();
        if (final) return final;
      }
    } finally {
      abort.abort();
      this.follows.delete(abort);
      this.active.delete(run.runId);
      if (!this.disposed) this.changed.fire();
    }
    // The stream closed without a final state: the server stopped (it is being restarted).
    return {
      run_id: run.runId,
      state: 'failed',
      error: 'The Stitch server stopped during training; see "Stitch: Show Server Log", then train again.',
    };
  }

  private report(name: string, final: StateEvent): TrainOutcome {
    const outcome: TrainOutcome = {
      runId: final.run_id,
      name,
      state: final.state,
      error: final.error,
      testAccuracy: final.test?.accuracy,
      testLoss: final.test?.loss,
    };
    this.lastOutcome = outcome;
    this.changed.fire();
    switch (final.state) {
      case 'succeeded': {
        void vscode.window
          .showInformationMessage(`Stitch: ${name} trained: ${resultText(outcome)}.`, 'Show Metrics', 'Evaluate')
          .then((c) =>
            c === 'Evaluate'
              ? vscode.commands.executeCommand('stitch.showEvaluation', final.run_id)
              : c && vscode.commands.executeCommand('stitch.showMetrics', final.run_id),
          );
        break;
      }
      case 'failed':
        showError(this.server.log, `Stitch: training ${name} failed: ${final.error ?? 'no reason given'}`);
        break;
      default:
        void vscode.window.showInformationMessage(`Stitch: training ${name} was ${final.state}.`);
    }
    return outcome;
  }
}

/** A finished run's result, labelled: the held-out test accuracy, else the test loss. */
export function resultText(outcome: TrainOutcome): string {
  if (outcome.testAccuracy !== undefined && outcome.testAccuracy !== null)
    return `test accuracy ${percent(outcome.testAccuracy)}`;
  const loss = outcome.testLoss;
  return loss !== undefined && Number.isFinite(loss) ? `test loss ${loss.toFixed(4)}` : 'done';
}

/**
 * Folds one training event into the run; returns the final state when it is one. The epoch is the one being
 * trained, the larger of the last batch's and the last finished one's: the panel counts it the same way
 * (webview/metrics/metricsStore.ts), so both show the same figure.
 */
function applyEvent(run: ActiveRun, event: TrainingEvent): StateEvent | undefined {
  switch (event.event) {
    case 'state':
      run.state = event.data.state;
      return isTerminal(event.data.state) ? event.data : undefined;
    case 'batch':
      run.epoch = Math.max(run.epoch, event.data.epoch);
      run.batch = event.data.batch;
      run.batches = event.data.batches;
      run.progress = Math.max(run.progress, event.data.progress);
      return undefined;
    case 'metric':
      run.epoch = Math.max(run.epoch, event.data.epoch);
      run.epochs = event.data.epochs;
      run.progress = Math.max(run.progress, event.data.progress);
      return undefined;
    case 'evaluation':
      return undefined;
    default:
      return assertNever(event, 'training event');
  }
}

/**
 * The file path the server resolves relative dataset paths against. The server only accepts paths inside
 * its workspace (every workspace folder), so other documents go without one.
 */
function schemaPathFor(document: vscode.TextDocument): string | undefined {
  if (document.uri.scheme !== 'file') return undefined;
  return vscode.workspace.getWorkspaceFolder(document.uri) ? document.uri.fsPath : undefined;
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
