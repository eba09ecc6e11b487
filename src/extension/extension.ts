/**
 * Stitch's VS Code extension entry point. Activation only wires things up (no server, no tfjs): the server
 * starts on first need. The time activation took is logged and returned in the API, for the bench/tests.
 */
import * as vscode from 'vscode';
import { ChatService } from './chat/chatService';
import { registerProposalDocuments } from './chat/review';
import { registerCommands, type StitchServices } from './commands';
import { SchemaQuickFixes } from './codeActions';
import { SchemaDiagnostics } from './diagnostics';
import { LayerTypeHovers } from './hovers';
import { LayerShapeHints, SchemaCodeLenses } from './lenses';
import { ModelsView } from './modelsView';
import { RunDocuments } from './runDocuments';
import { watchRunsFolder } from './runsFolderWatch';
import { RunsView } from './runsView';
import { Secrets } from './secrets';
import { localRunsDir, ServerController } from './serverController';
import { StatusBar } from './statusBar';
import { RunTracker } from './runTracker';
import { applyIntent, snapshot } from './visualEditor/documentEdits';
import { VisualEditorProvider } from './visualEditor/visualEditorProvider';
import { StitchPanels } from './panels/stitchPanel';

/** When this module started to load: activation time includes loading the bundle. */
const loadStarted = performance.now();

/** What `activate` returns (`vscode.extensions.getExtension(...).exports`), used by tests and the bench. */
export interface StitchApi {
  /** Milliseconds from loading the bundle to the end of `activate`. */
  activationMs: number;
  services: StitchServices;
  diagnostics: SchemaDiagnostics;
  statusBar: StatusBar;
  /** The visual editor's message handling, so tests can drive it without a webview. */
  visualEditor: { applyIntent: typeof applyIntent; snapshot: typeof snapshot };
  /** The metrics & chat panel. */
  panels: StitchPanels;
}

let server: ServerController | undefined;

export function activate(context: vscode.ExtensionContext): StitchApi {
  const log = vscode.window.createOutputChannel('Stitch', { log: true });
  const secrets = new Secrets(context.secrets);
  server = new ServerController(context, secrets, log);
  const tracker = new RunTracker(server);
  const runsView = RunsView.register(server, tracker);
  const modelsView = ModelsView.register(context, server, tracker);
  const runDocuments = RunDocuments.register(server);
  const chat = new ChatService(server, secrets);
  const panels = new StitchPanels({ context, server, tracker, chat });
  const services: StitchServices = {
    context,
    server,
    secrets,
    tracker,
    runsView,
    modelsView,
    runDocuments,
    chat,
    panels,
  };
  // Runs and models of other windows' servers, which share the runs folder.
  const runsFolder = watchRunsFolder(
    localRunsDir(context),
    () => {
      runsView.refresh();
      modelsView.refresh();
    },
    log,
  );
  const diagnostics = SchemaDiagnostics.register();
  const statusBar = StatusBar.register(server, tracker);

  context.subscriptions.push(
    log,
    server,
    tracker,
    runsView,
    modelsView,
    runsFolder,
    runDocuments,
    diagnostics,
    statusBar,
    chat,
    registerProposalDocuments(),
    ...registerCommands(services),
    SchemaQuickFixes.register(),
    SchemaCodeLenses.register(),
    LayerShapeHints.register(),
    LayerTypeHovers.register(),
    VisualEditorProvider.register(context, tracker, log),
    panels,
    vscode.workspace.onDidChangeConfiguration((e) => {
      // A new server address or backend applies by reconnecting, but only if we were connected; the start
      // timeout needs no restart at all.
      const applies =
        e.affectsConfiguration('stitch.server.url') ||
        e.affectsConfiguration('stitch.server.backend') ||
        e.affectsConfiguration('stitch.server.threads');
      if (applies && server && server.state.kind !== 'stopped') void applyServerSettings(server, tracker, log);
    }),
  );

  const activationMs = performance.now() - loadStarted;
  log.info(`Stitch ${context.extension.packageJSON.version as string} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, services, diagnostics, statusBar, visualEditor: { applyIntent, snapshot }, panels };
}

/** Restarts the connection for new server settings, asking first when that would stop a run in progress. */
async function applyServerSettings(
  controller: ServerController,
  runs: RunTracker,
  log: vscode.LogOutputChannel,
): Promise<void> {
  if (runs.active.size > 0) {
    const choice = await vscode.window.showWarningMessage(
      'Stitch: the server settings changed. Restarting the server now stops the run in progress.',
      'Restart Now',
      'Later',
    );
    if (choice !== 'Restart Now') {
      log.info('stitch.server settings changed: they apply at the next "Stitch: Restart Server"');
      return;
    }
  }
  log.info('stitch.server settings changed: restarting the connection');
  // A failed restart is reported by the controller itself (its state and notification).
  await controller.restart().catch(() => undefined);
}

/** Stops the local server; VS Code waits for the returned promise (briefly). */
export function deactivate(): Promise<void> | undefined {
  return server?.stop();
}
