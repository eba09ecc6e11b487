/**
 * Training a schema document: checks it with the schema core, starts a run on the server, follows its
 * SSE events in a cancellable progress notification (and the status bar), then reports the outcome:
 * test accuracy with "Show Metrics", or the server's own failure message.
 */
import * as vscode from 'vscode';
import type { StitchClient } from '../shared/client';
import type { RunState, StateEvent, TrainingEvent } from '../shared/protocol';
import { isTerminal } from '../shared/protocol';
import type { StitchSchema } from '../shared/schema/types';
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
  epoch: number;
  epochs: number;
}

export interface TrainOutcome {
  runId: string;
  state: RunState;
  error?: string;
  testAccuracy?: number | null;
}

export class RunTracker implements vscode.Disposable {
  readonly active = new Map<string, ActiveRun>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts, progresses or ends (the status bar and the runs view listen). */
  readonly onDidChange = this.changed.event;
  /** The last outcome, for tests and the "Show Metrics" default. */
  lastOutcome: TrainOutcome | undefined;

  constructor(private readonly server: ServerController) {}

  dispose(): void {
    this.changed.dispose();
  }

  /** Trains the document's schema; resolves when the run ended (undefined when it could not start). */
  async train(document: vscode.TextDocument): Promise<TrainOutcome | undefined> {
    const schema = this.checkedSchema(document);
    if (!schema) return undefined;
    const name = schema.name ?? path.basename(document.uri.path).replace(/\.stitch\.json$/, '');
    return vscode.window
      .withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Stitch: training ${name}`, cancellable: true },
        async (progress, token) => {
          progress.report({ message: 'starting the server…' });
          const client = await this.server.ensureStarted();
          const { run_id: runId } = await client.train({ schema, schemaPath: schemaPathFor(document) });
          this.server.log.info(`run ${runId} started for ${document.uri.toString()}`);
          const onCancel = token.onCancellationRequested(() => {
            progress.report({ message: 'cancelling…' });
            void client.cancel(runId).catch((err: Error) => this.server.log.warn(err.message));
          });
          try {
            const final = await this.follow(
              client,
              { runId, name, state: 'queued', progress: 0, epoch: 0, epochs: 0 },
              progress,
            );
            return this.report(name, final);
          } finally {
            onCancel.dispose();
          }
        },
      )
      .then(undefined, (err: Error) => {
        showError(this.server.log, err.message);
        return undefined;
      });
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

  /** Follows the run's events into `run` and the progress notification until its final state. */
  private async follow(client: StitchClient, run: ActiveRun, progress: Progress): Promise<StateEvent> {
    this.active.set(run.runId, run);
    this.changed.fire();
    const abort = new AbortController();
    try {
      for await (const event of client.events(run.runId, { signal: abort.signal })) {
        const final = applyEvent(run, event, progress);
        this.changed.fire();
        if (final) return final;
      }
    } finally {
      abort.abort();
      this.active.delete(run.runId);
      this.changed.fire();
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
      state: final.state,
      error: final.error,
      testAccuracy: final.test?.accuracy,
    };
    this.lastOutcome = outcome;
    switch (final.state) {
      case 'succeeded': {
        const accuracy = final.test?.accuracy;
        const result =
          accuracy !== undefined && accuracy !== null
            ? `test accuracy ${percent(accuracy)}`
            : final.test && Number.isFinite(final.test.loss)
              ? `test loss ${final.test.loss.toFixed(4)}`
              : 'done';
        void vscode.window
          .showInformationMessage(`Stitch: ${name} trained: ${result}.`, 'Show Metrics')
          .then((c) => c && vscode.commands.executeCommand('stitch.showMetrics', final.run_id));
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

type Progress = vscode.Progress<{ message?: string; increment?: number }>;

/** Folds one training event into the run and the notification; returns the final state when it is one. */
function applyEvent(run: ActiveRun, event: TrainingEvent, progress: Progress): StateEvent | undefined {
  let message: string | undefined;
  let final: StateEvent | undefined;
  let nextProgress = run.progress;
  switch (event.event) {
    case 'state':
      run.state = event.data.state;
      message = event.data.state;
      if (isTerminal(event.data.state)) final = event.data;
      break;
    case 'batch':
      nextProgress = event.data.progress;
      run.epoch = event.data.epoch;
      message = `epoch ${event.data.epoch} · batch ${event.data.batch}/${event.data.batches} · loss ${event.data.loss.toFixed(4)}`;
      break;
    case 'metric':
      nextProgress = event.data.progress;
      run.epoch = event.data.epoch;
      run.epochs = event.data.epochs;
      message =
        `epoch ${event.data.epoch}/${event.data.epochs} · loss ${event.data.train_loss.toFixed(4)}` +
        (event.data.val_accuracy !== null ? ` · val acc ${percent(event.data.val_accuracy)}` : '');
      break;
    case 'evaluation':
      message = `test accuracy ${percent(event.data.accuracy)}`;
      break;
    default:
      assertNever(event, 'training event');
  }
  const increment = Math.max(0, nextProgress - run.progress) * 100;
  run.progress = Math.max(run.progress, nextProgress);
  progress.report({ message, increment });
  return final;
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
