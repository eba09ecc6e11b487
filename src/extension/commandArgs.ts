/**
 * What the commands take their arguments from: a tree item (run or model), an id given by a test or another
 * command, a quick pick over the server's runs, or an input box. Shared by commands.ts and
 * catalogCommands.ts so that every command reads its arguments the same way.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../shared/protocol';
import type { StitchServices } from './commands';
import { ModelItem } from './modelsView';
import { RunItem } from './runsView';

/** A run id from a runs-view item, a models-view item (its run) or a string. */
export function runIdFrom(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof RunItem) return arg.run.run_id;
  if (arg instanceof ModelItem) return arg.model.run_id ?? undefined;
  return undefined;
}

export async function runFrom(s: StitchServices, arg: unknown): Promise<RunSummary | undefined> {
  if (arg instanceof RunItem) return arg.run;
  const runId = runIdFrom(arg);
  return runId ? (await s.server.ensureStarted()).run(runId) : undefined;
}

/** A quick pick over the server's runs (newest first); says so when there are none. */
export async function pickRun(
  s: StitchServices,
  title: string,
  filter: (r: RunSummary) => boolean = () => true,
): Promise<RunSummary | undefined> {
  const runs = (await (await s.server.ensureStarted()).runs()).filter(filter);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(
      'Stitch: there is no such run yet. Train a schema first ("Stitch: Train Current Schema").',
    );
    return undefined;
  }
  runs.sort((a, b) => b.created_at.localeCompare(a.created_at));
  const pick = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: run.name, description: `${run.state} · ${run.run_id}`, run })),
    { title },
  );
  return pick?.run;
}

/**
 * The text a command was given (a string argument from a test or another command), else what the person
 * types in an input box that stays open when focus moves away. Undefined when they press Escape.
 */
export async function textArg(value: unknown, options: vscode.InputBoxOptions): Promise<string | undefined> {
  if (typeof value === 'string') return value;
  return vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
}

/** An input box check for a model name: what the server accepts (docs/server.md, 1 to 200 characters). */
export function checkModelName(value: string): string | undefined {
  if (!value.trim()) return 'Type a name for the model, or press Escape to cancel.';
  if (value.trim().length > 200) return `At most 200 characters (this is ${value.trim().length}).`;
  return undefined;
}
