/**
 * The panel's chat side: which schema document the chat is about (the active one, followed as the user
 * switches editors), its turns streamed through the chat service, Stop and Clear, and applying a proposal
 * to the file its request was about (docs/chat.md).
 */
import * as path from 'node:path';
import { getNodeValue, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import type { PanelHostMessage } from '../../shared/webviewProtocol';
import { ChatRequests } from '../chat/chatRequests';
import type { ChatService } from '../chat/chatService';
import { reviewProposal } from '../chat/review';
import { Disposable } from '../disposable';
import { activeSchemaDocument, isSchemaDocument } from '../schemaDocuments';
import { shownSchemaDocument, visibleSchemaDocument } from './shownSchema';

export class ChatController extends Disposable {
  private readonly requests = new ChatRequests();
  private document: vscode.TextDocument | undefined = activeSchemaDocument() ?? visibleSchemaDocument();

  constructor(
    private readonly chat: ChatService,
    private readonly post: (message: PanelHostMessage) => void,
  ) {
    super();
    this.register(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && isSchemaDocument(e.document)) this.bind(e.document);
      }),
    );
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === this.document) this.postContext();
      }),
    );
    // Without a document (the panel restored with the focus after a reload), take the schema editor that
    // comes on screen: the chat's context must be right before the user types, as the page keys the
    // conversation by file.
    this.register(
      vscode.window.tabGroups.onDidChangeTabs(() => {
        if (!this.document) this.postContext();
      }),
    );
    this.register(new vscode.Disposable(() => this.requests.stopAll()));
  }

  /** The schema document the chat is about, for the panel's commands. */
  get schemaDocument(): vscode.TextDocument | undefined {
    return this.document;
  }

  /** The chat talks about this document from now on. */
  bind(document: vscode.TextDocument): void {
    this.document = document;
    this.postContext();
  }

  postContext(): void {
    this.document ??= visibleSchemaDocument();
    const d = this.document;
    const root = d ? parseTree(d.getText()) : undefined;
    this.post({
      type: 'chat/context',
      fileName: d ? path.basename(d.uri.path) : null,
      schema: root ? getNodeValue(root) : null,
    });
  }

  async send(requestId: number, text: string): Promise<void> {
    // Not bound here: a new context would switch the page to that file's conversation mid-turn.
    const document = this.document ?? activeSchemaDocument() ?? (await shownSchemaDocument());
    if (!document) {
      return this.post({
        type: 'chat/event',
        requestId,
        event: { type: 'error', error: 'Open a *.stitch.json file first: the chat works on that schema.' },
      });
    }
    const abort = this.requests.start(requestId, document.uri.toString());
    try {
      for await (const event of this.chat.send(document, text, abort.signal)) {
        this.post({ type: 'chat/event', requestId, event });
      }
    } finally {
      this.requests.finish(requestId, abort);
    }
  }

  stop(requestId: number): void {
    this.requests.stop(requestId);
  }

  clear(): void {
    if (!this.document) return;
    this.requests.stopDocument(this.document.uri.toString());
    this.chat.clearHistory(this.document.uri);
  }

  /** Applies a proposal to the file its request was about, not to whichever schema is active now. */
  async apply(requestId: number, proposedSchema: unknown): Promise<void> {
    const failed = (message: string): void =>
      this.post({ type: 'chat/applied', requestId, outcome: 'failed', message });
    const uri = this.requests.documentOf(requestId);
    if (!uri)
      return failed(
        'This proposal is from an earlier session of the panel; ask again to get one for the current file.',
      );
    if (typeof proposedSchema !== 'object' || proposedSchema === null || Array.isArray(proposedSchema)) {
      return failed("The proposal is not a schema (the model's JSON could not be read); ask again.");
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      const outcome = await reviewProposal(document, proposedSchema);
      this.post({ type: 'chat/applied', requestId, outcome });
    } catch (err) {
      failed((err as Error).message);
    }
  }
}
