/**
 * The model catalog's commands (docs/extension.md): save a succeeded run as a named model, rename and
 * delete models, sort the Stitch Models view, test a saved model, and compare two runs side by side. They
 * are entries of the one command table (commands.ts); opening a model's schema and exporting it reuse
 * "Open Schema as Trained" and "Export Trained Model…", which accept a model item (its run).
 */
import * as vscode from 'vscode';
import type { ModelSummary, RunSummary } from '../shared/protocol';
import { checkModelName, pickRun, runFrom, runIdFrom, textArg } from './commandArgs';
import type { CommandSpec, StitchServices } from './commands';
import { openComparePanel } from './compare/comparePanel';
import { ModelItem } from './modelsView';
import { RunItem } from './runsView';

const succeededWithModel = (r: RunSummary) => r.state === 'succeeded' && r.model_id !== null;

export const CATALOG_COMMANDS: readonly CommandSpec[] = [
  {
    id: 'stitch.saveModel',
    title: 'Save Model…',
    run: async (s, arg, nameArg) => {
      const run = arg ? await runFrom(s, arg) : await pickRun(s, 'Save the model of which run?', succeededWithModel);
      if (!run) return undefined;
      if (!succeededWithModel(run)) {
        return void vscode.window.showInformationMessage(
          `Stitch: run "${run.name}" is ${run.state}; only a run that succeeded has a model to save.`,
        );
      }
      const name = await textArg(nameArg, {
        title: `Save the model of run "${run.name}"`,
        prompt: 'A name for the model in the Stitch Models view',
        value: run.name,
        validateInput: checkModelName,
      });
      if (name === undefined || checkModelName(name)) return undefined;
      const model = await (await s.server.ensureStarted()).saveModel(run.run_id, name.trim());
      await s.modelsView.reveal(model.model_id);
      void vscode.window.showInformationMessage(`Stitch: saved "${model.name}" in Stitch Models.`);
      return model.model_id;
    },
  },
  {
    id: 'stitch.renameModel',
    title: 'Rename Model…',
    run: async (s, arg, nameArg) => {
      const model = await modelFrom(s, arg, 'Rename which model?');
      if (!model) return undefined;
      const name = await textArg(nameArg, {
        title: `Rename "${model.name}"`,
        value: model.name,
        validateInput: checkModelName,
      });
      if (name === undefined || checkModelName(name) || name.trim() === model.name) return undefined;
      const renamed = await (await s.server.ensureStarted()).updateModel(model.model_id, { name: name.trim() });
      s.modelsView.refresh();
      return renamed.name;
    },
  },
  {
    id: 'stitch.deleteModel',
    title: 'Delete Model',
    run: async (s, arg) => {
      const model = await modelFrom(s, arg, 'Delete which model?');
      if (!model) return false;
      // From the tree or the palette ask first; a programmatic call with a model id is already explicit.
      if (typeof arg !== 'string') {
        const ok = await vscode.window.showWarningMessage(
          `Delete the model "${model.name}" from Stitch Models? Its run (${model.run_id ?? 'none'}) and weights stay.`,
          { modal: true },
          'Delete',
        );
        if (ok !== 'Delete') return false;
      }
      await (await s.server.ensureStarted()).deleteModel(model.model_id);
      s.modelsView.refresh();
      return true;
    },
  },
  {
    id: 'stitch.testSavedModel',
    title: 'Test Saved Model',
    run: async (_s, arg) => {
      const runId = runIdFrom(arg);
      if (!runId) return void vscode.window.showInformationMessage('Stitch: this model has no trained run to test.');
      // The Test tab of the Stitch panel, on the model's run.
      return vscode.commands.executeCommand('stitch.testModel', runId);
    },
  },
  {
    id: 'stitch.sortModelsByAccuracy',
    title: 'Sort Models by Accuracy',
    run: async (s) => {
      await s.modelsView.applySort('accuracy');
      return 'accuracy';
    },
  },
  {
    id: 'stitch.sortModelsByDate',
    title: 'Sort Models by Date',
    run: async (s) => {
      await s.modelsView.applySort('date');
      return 'date';
    },
  },
  {
    id: 'stitch.refreshModels',
    title: 'Refresh Models',
    run: async (s) => {
      await s.server.ensureStarted();
      s.modelsView.refresh();
      return true;
    },
  },
  {
    id: 'stitch.compareRuns',
    title: 'Compare Runs…',
    run: async (s, arg, selection) => {
      const ids = await runPair(s, arg, selection);
      if (!ids) return undefined;
      openComparePanel(s.context, s.server, ids);
      return ids;
    },
  },
];

/**
 * The two runs to compare: two selected in the runs view (VS Code passes the clicked item and the
 * selection), two ids, one item or id and a pick for the other ("Compare with…"), or two picks.
 */
async function runPair(s: StitchServices, arg: unknown, selection: unknown): Promise<[string, string] | undefined> {
  const selected = Array.isArray(selection) ? selection.map(runIdFrom).filter((id) => id !== undefined) : [];
  if (selected.length >= 2) {
    if (selected.length > 2)
      void vscode.window.showInformationMessage(
        `Stitch: comparing the first two of the ${selected.length} runs selected.`,
      );
    return [selected[0], selected[1]];
  }
  const second = runIdFrom(selection);
  const first = runIdFrom(arg) ?? (await pickRun(s, 'Compare which run…'))?.run_id;
  if (!first) return undefined;
  const other = second ?? (await pickRun(s, `…with which run?`, (r) => r.run_id !== first))?.run_id;
  return other ? [first, other] : undefined;
}

/** The model from a models-view item or an id; else a quick pick over the catalog. */
async function modelFrom(s: StitchServices, arg: unknown, title: string): Promise<ModelSummary | undefined> {
  if (arg instanceof ModelItem) return arg.model;
  const client = await s.server.ensureStarted();
  if (typeof arg === 'string') return client.model(arg);
  if (arg instanceof RunItem) return undefined;
  const models = await client.models();
  if (models.length === 0) {
    void vscode.window.showInformationMessage('Stitch: no saved models yet; use "Stitch: Save Model…" on a run.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((model) => ({ label: model.name, description: model.model_id, model })),
    { title },
  );
  return pick?.model;
}
