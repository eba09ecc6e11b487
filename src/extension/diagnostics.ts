/**
 * Live diagnostics for `*.stitch.json`: the schema core's problems in the Problems panel, at the exact
 * range of the offending token, recomputed ~150 ms after the last keystroke (per document).
 */
import * as vscode from 'vscode';
import { analyzeDocument, isSchemaDocument, problemRange, type SchemaProblem } from './schemaDocuments';

export const DIAGNOSTIC_SOURCE = 'stitch';
const DEBOUNCE_MS = 150;

/** The problem behind each diagnostic, so that quick fixes can read `code` and `suggestion`. */
const problemOf = new WeakMap<vscode.Diagnostic, SchemaProblem>();

export function problemForDiagnostic(diagnostic: vscode.Diagnostic): SchemaProblem | undefined {
  return problemOf.get(diagnostic);
}

export class SchemaDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('stitch');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly setEmitter = new vscode.EventEmitter<vscode.Uri>();
  /**
   * Fires right after a document's diagnostics were set (even to none). VS Code's own
   * `languages.onDidChangeDiagnostics` is batched and also fires for other extensions' problems; the bench
   * times "open → diagnostics" with this one.
   */
  readonly onDidSet = this.setEmitter.event;

  static register(): SchemaDiagnostics {
    return new SchemaDiagnostics();
  }

  private constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        clearTimeout(this.timers.get(d.uri.toString()));
        this.timers.delete(d.uri.toString());
        this.collection.delete(d.uri);
      }),
    );
    for (const document of vscode.workspace.textDocuments) this.refresh(document);
  }

  /** Recomputes a document's diagnostics now. */
  refresh(document: vscode.TextDocument): void {
    if (!isSchemaDocument(document)) return;
    const diagnostics = analyzeDocument(document).problems.map((problem) => {
      const diagnostic = new vscode.Diagnostic(
        problemRange(document, problem),
        problem.message,
        problem.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = DIAGNOSTIC_SOURCE;
      diagnostic.code = problem.code;
      problemOf.set(diagnostic, problem);
      return diagnostic;
    });
    this.collection.set(document.uri, diagnostics);
    this.setEmitter.fire(document.uri);
  }

  private schedule(document: vscode.TextDocument): void {
    if (!isSchemaDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.refresh(document);
      }, DEBOUNCE_MS),
    );
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.subscriptions.forEach((s) => s.dispose());
    this.collection.dispose();
    this.setEmitter.dispose();
  }
}
