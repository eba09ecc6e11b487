/**
 * Every Stitch command, from one table. Each entry says what it does when it cannot run (no schema open,
 * no run, server down) instead of failing silently. The titles here must match package.json's
 * `contributes.commands` (a test checks both directions).
 */
import * as vscode from 'vscode';
import { CATALOG_COMMANDS } from './catalogCommands';
import type { ChatService } from './chat/chatService';
import { pickRun, runFrom, runIdFrom, textArg } from './commandArgs';
import { exportModel } from './exportModel';
import { newArchitecture } from './newArchitecture';
import type { ModelsView } from './modelsView';
import { schemaUri, type RunDocuments } from './runDocuments';
import type { StitchPanels } from './panels/stitchPanel';
import { RunItem, type RunsView } from './runsView';
import { activeSchemaDocument, isSchemaDocument } from './schemaDocuments';
import type { Secrets } from './secrets';
import type { ServerController } from './serverController';
import { showError } from './showError';
import { showRunMenu } from './statusBar';
import type { RunTracker } from './runTracker';
import { VISUAL_EDITOR_VIEW_TYPE } from './visualEditor/visualEditorProvider';

export interface StitchServices {
  context: vscode.ExtensionContext;
  server: ServerController;
  secrets: Secrets;
  tracker: RunTracker;
  runsView: RunsView;
  /** The "Stitch Models" view (the server's model catalog). */
  modelsView: ModelsView;
  runDocuments: RunDocuments;
  /** The AI chat (send a turn, per-file history); proposals are applied with chat/review's reviewProposal. */
  chat: ChatService;
  /** The metrics & chat panel. */
  panels: StitchPanels;
}

export interface CommandSpec {
  id: string;
  title: string;
  run(services: StitchServices, ...args: unknown[]): unknown;
}

const NO_SCHEMA = 'Open a *.stitch.json file first (or create one with "Stitch: New Architecture").';

export const COMMANDS: readonly CommandSpec[] = [
  {
    id: 'stitch.newArchitecture',
    title: 'New Architecture',
    run: (s, template) => newArchitecture(s.context, typeof template === 'string' ? template : undefined),
  },
  {
    id: 'stitch.openVisualEditor',
    title: 'Open Visual Editor',
    run: async (_s, uri) => {
      const document = await schemaFrom(uri);
      if (!document) return void vscode.window.showInformationMessage(`Stitch: ${NO_SCHEMA}`);
      // Already open (e.g. the command ran from the visual editor itself): focus it instead of a duplicate.
      const key = document.uri.toString();
      const open = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find(
          (t) =>
            t.input instanceof vscode.TabInputCustom &&
            t.input.viewType === VISUAL_EDITOR_VIEW_TYPE &&
            t.input.uri.toString() === key,
        );
      await vscode.commands.executeCommand(
        'vscode.openWith',
        document.uri,
        VISUAL_EDITOR_VIEW_TYPE,
        open ? open.group.viewColumn : vscode.ViewColumn.Beside,
      );
      return document.uri;
    },
  },
  {
    id: 'stitch.train',
    title: 'Train Current Schema',
    run: async (s, uri) => {
      const document = await schemaFrom(uri);
      if (!document) return void vscode.window.showInformationMessage(`Stitch: ${NO_SCHEMA}`);
      return s.tracker.train(document);
    },
  },
  {
    id: 'stitch.cancelRun',
    title: 'Cancel Run',
    run: async (s, arg) => {
      let runId = runIdFrom(arg);
      if (!runId) {
        const active = [...s.tracker.active.values()];
        if (active.length === 0)
          return void vscode.window.showInformationMessage('Stitch: no run is training in this window.');
        runId =
          active.length === 1
            ? active[0].runId
            : (
                await vscode.window.showQuickPick(
                  active.map((r) => ({ label: r.name, description: r.runId, runId: r.runId })),
                  { title: 'Cancel which run?' },
                )
              )?.runId;
        if (!runId) return undefined;
      }
      const client = s.server.readyClient;
      if (!client)
        return void vscode.window.showInformationMessage('Stitch: the server is not running, so no run is training.');
      await client.cancel(runId);
      return runId;
    },
  },
  {
    id: 'stitch.showMetrics',
    title: 'Show Training Metrics',
    run: (s, arg) => {
      // The panel lists every run; without an argument it shows the run training now, else the last one.
      const runId = runIdFrom(arg) ?? s.tracker.current?.runId ?? s.tracker.lastOutcome?.runId;
      s.panels.show('metrics', runId);
      return runId ?? 'panel';
    },
  },
  {
    id: 'stitch.showEvaluation',
    title: 'Show Evaluation',
    run: (s, arg) => showModelTab(s, 'evaluate', arg),
  },
  {
    id: 'stitch.testModel',
    title: 'Test Trained Model',
    run: (s, arg) => showModelTab(s, 'test', arg),
  },
  {
    id: 'stitch.openChat',
    title: 'Open Chat',
    run: (s) => {
      s.panels.show('chat');
      return 'panel';
    },
  },
  {
    id: 'stitch.setApiKey',
    title: 'Set OpenAI API Key',
    run: async (s, value) => {
      const key = await textArg(value, {
        title: 'OpenAI API key for Stitch chat',
        prompt: "Stored in VS Code's secret storage, never in settings or files.",
        password: true,
        validateInput: (v) => (v.trim() ? undefined : 'Paste a key, or press Escape to cancel.'),
      });
      if (!key) return false;
      await s.secrets.set('openaiApiKey', key.trim());
      void vscode.window.showInformationMessage(
        'Stitch: API key saved in secret storage; the local server uses it from its next start.',
      );
      return true;
    },
  },
  {
    id: 'stitch.clearApiKey',
    title: 'Clear OpenAI API Key',
    run: async (s) => {
      await s.secrets.delete('openaiApiKey');
      void vscode.window.showInformationMessage('Stitch: API key removed from secret storage.');
      return true;
    },
  },
  {
    id: 'stitch.setRemoteServerToken',
    title: 'Set Remote Server Token',
    run: async (s, value) => {
      const token = await textArg(value, {
        title: 'Token of the remote Stitch server',
        prompt: "The server's STITCH_TOKEN. Set its address in the setting stitch.server.url.",
        password: true,
      });
      if (token === undefined) return false;
      await (token ? s.secrets.set('remoteToken', token.trim()) : s.secrets.delete('remoteToken'));
      const url = vscode.workspace.getConfiguration('stitch').get<string>('server.url');
      void vscode.window.showInformationMessage(
        url
          ? `Stitch: token saved; reconnecting to ${url}.`
          : "Stitch: token saved. Set stitch.server.url to the remote server's address to use it.",
      );
      // A failed reconnect is reported by the controller itself (its state and notification).
      if (url && s.server.state.kind !== 'stopped') await s.server.restart().catch(() => undefined);
      return true;
    },
  },
  {
    id: 'stitch.restartServer',
    title: 'Restart Server',
    run: async (s) => {
      try {
        const client = await s.server.restart();
        void vscode.window.showInformationMessage(`Stitch: server ready at ${client.baseUrl}.`);
        return client.baseUrl;
      } catch (err) {
        showError(s.server.log, `Stitch: ${(err as Error).message}`);
        return undefined;
      }
    },
  },
  {
    id: 'stitch.showRunMenu',
    title: 'Show Run Menu',
    // The status bar item's click: the run's metrics, Cancel while it trains, the server log.
    run: (s) => showRunMenu(s.tracker),
  },
  {
    id: 'stitch.showServerLog',
    title: 'Show Server Log',
    run: (s) => {
      s.server.log.show(true);
      return true;
    },
  },
  {
    id: 'stitch.exportModel',
    title: 'Export Trained Model…',
    run: async (s, arg, target, format) => {
      const run = arg ? await runFrom(s, arg) : await pickRun(s, 'Export the model of which run?', (r) => !!r.model_id);
      if (!run) return undefined;
      const chosen = format === 'tfjs' || format === 'keras' || format === 'pytorch' ? format : undefined;
      return exportModel(s.server, run, target instanceof vscode.Uri ? target : undefined, chosen);
    },
  },
  {
    id: 'stitch.refreshRuns',
    title: 'Refresh Runs',
    run: async (s) => {
      await s.server.ensureStarted().catch((err: Error) => vscode.window.showErrorMessage(`Stitch: ${err.message}`));
      s.runsView.refresh();
      s.modelsView.refresh();
    },
  },
  {
    id: 'stitch.openTrainedSchema',
    title: 'Open Schema as Trained',
    run: async (s, arg) => {
      const run = arg ? await runFrom(s, arg) : await pickRun(s, 'Open the schema of which run?');
      if (!run) return undefined;
      const editor = await s.runDocuments.show(schemaUri(run.run_id, run.name));
      return editor.document.uri;
    },
  },
  {
    id: 'stitch.deleteRun',
    title: 'Delete Run',
    run: async (s, arg) => {
      const run = arg ? await runFrom(s, arg) : await pickRun(s, 'Delete which run?');
      if (!run) return false;
      // From the tree ask first; a programmatic call with a run id is already explicit.
      if (arg instanceof RunItem) {
        const ok = await vscode.window.showWarningMessage(
          `Delete run "${run.name}" (${run.run_id}) and its trained model?`,
          { modal: true },
          'Delete',
        );
        if (ok !== 'Delete') return false;
      }
      const client = await s.server.ensureStarted();
      await client.deleteRun(run.run_id);
      s.runsView.refresh();
      s.modelsView.refresh(); // a model saved from this run has lost its weights
      return true;
    },
  },
  ...CATALOG_COMMANDS,
];

export function registerCommands(services: StitchServices): vscode.Disposable[] {
  return COMMANDS.map((spec) =>
    vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
      try {
        return await spec.run(services, ...args);
      } catch (err) {
        showError(services.server.log, `Stitch: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}

/**
 * Opens the panel's Evaluate or Test tab on a run: the one given (a run id, e.g. from the model catalog, or a
 * runs view item), else the last run that succeeded in this window; the tab's picker offers the others.
 */
function showModelTab(s: StitchServices, tab: 'evaluate' | 'test', arg: unknown): string {
  const last = s.tracker.lastOutcome;
  const runId = runIdFrom(arg) ?? (last?.state === 'succeeded' ? last.runId : undefined);
  s.panels.show(tab, runId);
  return runId ?? 'panel';
}

/** The schema document from a command argument (a URI from a menu or CodeLens) or the active editor. */
async function schemaFrom(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) {
    const document = await vscode.workspace.openTextDocument(arg);
    return isSchemaDocument(document) ? document : undefined;
  }
  return activeSchemaDocument();
}
