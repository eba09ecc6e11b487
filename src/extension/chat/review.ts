/**
 * `reviewProposal`: shows a proposed architecture as a diff against the schema document and, when the user
 * accepts, applies it as ONE WorkspaceEdit (one undo step, the document stays the single source of truth).
 * The right side of the diff is a read-only virtual document (`stitch-proposal:`), so nothing is written to
 * disk and no "save changes?" prompt appears when the diff closes.
 */
import * as vscode from 'vscode';
import { minimalReplacement, proposalText } from './proposalText';

export const PROPOSAL_SCHEME = 'stitch-proposal';

/**
 * Asks the user whether to apply; the VS Code suite injects its own answer. `updated`: the diff was brought up
 * to date after the user edited the schema while it was open.
 */
export type ConfirmProposal = (document: vscode.TextDocument, updated: boolean) => Thenable<boolean>;

export interface ReviewOptions {
  /** Default: a notification with Accept / Reject buttons (dismissing it rejects). */
  confirm?: ConfirmProposal;
}

const contents = new Map<string, string>();
const changed = new vscode.EventEmitter<vscode.Uri>();
let provider: vscode.Disposable | undefined;
let counter = 0;

/** Registers the virtual documents' provider; `reviewProposal` does it on first use too. */
export function registerProposalDocuments(): vscode.Disposable {
  provider ??= vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, {
    onDidChange: changed.event,
    provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '',
  });
  return new vscode.Disposable(() => {
    provider?.dispose();
    provider = undefined;
    contents.clear();
  });
}

/**
 * Opens a diff (current document ↔ proposal); on accept applies it as ONE undoable WorkspaceEdit keeping
 * the user's formatting and the layout of unchanged layers; reject leaves the file untouched.
 */
export async function reviewProposal(
  document: vscode.TextDocument,
  proposedSchema: unknown,
  options: ReviewOptions = {},
): Promise<'applied' | 'rejected'> {
  registerProposalDocuments();
  const proposed = proposalText(document.getText(), proposedSchema);
  if (proposed === document.getText()) {
    void vscode.window.showInformationMessage(
      'Stitch: the proposal is the same as the current schema; nothing to apply.',
    );
    return 'rejected';
  }
  const name = document.uri.path.split('/').pop() ?? 'schema';
  const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++counter}/${name}` });
  contents.set(uri.toString(), proposed);
  try {
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `${name} ↔ proposed by Stitch chat`, {
      preview: true,
      viewColumn: diffColumn(document),
    });
    // What is applied is what the diff shows: when the user edits the schema while the diff is open, the
    // diff is brought up to date (the proposal over their new text) and they are asked again.
    let shown = proposed;
    let before = document.getText();
    for (;;) {
      const accept = await (options.confirm ?? askUser)(document, shown !== proposed);
      if (!accept) return 'rejected';
      if (document.getText() === before) break;
      before = document.getText();
      const now = proposalText(before, proposedSchema);
      if (now === before) {
        void vscode.window.showInformationMessage(`Stitch: ${name} now matches the proposal; nothing to apply.`);
        return 'rejected';
      }
      if (now === shown) break;
      shown = now;
      await showProposal(uri, shown);
    }
    const { start, end, text } = minimalReplacement(before, shown);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(`Stitch: could not apply the proposal to ${name} (is the file read-only?).`);
      return 'rejected';
    }
    await closeDiff(uri);
    // The file's own tab was closed while the diff was open: the applied, unsaved edit is shown, not hidden.
    if (!hasTab(document.uri)) await vscode.window.showTextDocument(document, { preview: false });
    return 'applied';
  } finally {
    await closeDiff(uri);
    contents.delete(uri.toString());
  }
}

/** Whether a text or custom (visual) editor tab shows `uri`, in any group. */
function hasTab(uri: vscode.Uri): boolean {
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => tabShows(t, uri.toString())));
}

/** Whether the tab is a text or custom (visual) editor of the document `uri`. */
function tabShows(tab: vscode.Tab, uri: string): boolean {
  return (
    (tab.input instanceof vscode.TabInputText || tab.input instanceof vscode.TabInputCustom) &&
    tab.input.uri.toString() === uri
  );
}

/** Replaces the diff's proposal side, and resolves once the open diff shows it (at most 2 s). */
async function showProposal(uri: vscode.Uri, text: string): Promise<void> {
  contents.set(uri.toString(), text);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  await new Promise<void>((done) => {
    const finish = () => {
      subscription.dispose();
      clearTimeout(timer);
      done();
    };
    const subscription = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === open && open.getText() === text) finish();
    });
    const timer = setTimeout(finish, 2000);
    changed.fire(uri);
    if (!open || open.getText() === text) finish();
  });
}

/**
 * The column of the schema's own editor (text or visual), so the diff replaces what the user was editing
 * instead of covering the Stitch panel where Apply was clicked; beside the active one if the file is not shown.
 */
export function diffColumn(document: vscode.TextDocument): vscode.ViewColumn {
  const uri = document.uri.toString();
  const shows = (tab: vscode.Tab): boolean => tabShows(tab, uri);
  const groups = vscode.window.tabGroups.all;
  const group = groups.find((g) => g.activeTab && shows(g.activeTab)) ?? groups.find((g) => g.tabs.some(shows));
  return group?.viewColumn ?? vscode.ViewColumn.Beside;
}

async function askUser(document: vscode.TextDocument, updated: boolean): Promise<boolean> {
  const name = document.uri.path.split('/').pop();
  const choice = await vscode.window.showInformationMessage(
    updated
      ? `${name} changed while the diff was open; the diff now shows the proposal over your edits. Apply it?`
      : `Apply the proposed architecture to ${name}? You can undo it with one Undo.`,
    'Accept',
    'Reject',
  );
  return choice === 'Accept';
}

/** Closes the diff editor showing the proposal, wherever the user moved it. */
async function closeDiff(proposalUri: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter(
      (tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposalUri.toString(),
    );
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}
