/**
 * The extension's side of the AI chat: sends one turn about a schema document to the server's
 * `POST /api/chat` (with the API key from SecretStorage in a header, and the `stitch.chat.*` settings),
 * turns the SSE stream into `ChatStreamEvent`s, and keeps each schema file's conversation (bounded) so that
 * follow-up questions work. The webview's chat UI consumes `send`; `reviewProposal` applies a proposal.
 */
import { parse, type ParseError } from 'jsonc-parser';
import * as vscode from 'vscode';
import { causeOf, StitchHttpError, type StitchClient } from '../../shared/client';
import type { ChatHistoryMessage, ChatRequest, ChatStreamEvent } from '../../shared/protocol';
import type { Secrets } from '../secrets';
import type { ServerController } from '../serverController';

import { ChatHistories } from './chatHistory';
import { reviewProposal, type ReviewOptions } from './review';

export { reviewProposal };

/** The `stitch.chat.*` settings, read at every turn so that a change applies to the next message. */
export function chatSettings(scope?: vscode.Uri): { baseUrl?: string; model?: string; temperature?: number } {
  const config = vscode.workspace.getConfiguration('stitch.chat', scope);
  const baseUrl = config.get<string>('baseUrl')?.trim();
  const model = config.get<string>('model')?.trim();
  const temperature = config.get<number>('temperature');
  return {
    baseUrl: baseUrl || undefined,
    model: model || undefined,
    temperature: typeof temperature === 'number' ? temperature : undefined,
  };
}

export class ChatService implements vscode.Disposable {
  private readonly histories = new ChatHistories();

  constructor(
    private readonly server: ServerController,
    private readonly secrets: Secrets,
  ) {}

  /** The conversation kept for a schema file (oldest first), e.g. to restore a chat view. */
  history(uri: vscode.Uri): readonly ChatHistoryMessage[] {
    return this.histories.get(uri.toString());
  }

  /** Forgets the file's conversation; a turn still running for it will not add its answer afterwards. */
  clearHistory(uri: vscode.Uri): void {
    this.histories.clear(uri.toString());
  }

  /** `reviewProposal`, reachable through the extension's API (tests run in VS Code use it this way). */
  review(
    document: vscode.TextDocument,
    proposedSchema: unknown,
    options?: ReviewOptions,
  ): Promise<'applied' | 'rejected'> {
    return reviewProposal(document, proposedSchema, options);
  }

  /**
   * Streams one turn about the schema document; keeps that file's history (bounded). Aborting the signal
   * (or breaking out of the loop) aborts the request, and the server then aborts the upstream model call.
   * Never throws: failures arrive as an `error` event.
   */
  async *send(document: vscode.TextDocument, message: string, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    const key = document.uri.toString();
    const history = [...this.histories.get(key)];
    const generation = this.histories.begin(key);
    let client: StitchClient;
    try {
      client = await this.server.ensureStarted();
    } catch (err) {
      yield { type: 'error', code: 'server', error: `The Stitch server is not available: ${causeOf(err)}` };
      return;
    }
    const body: ChatRequest = {
      message,
      currentSchema: parseLoosely(document.getText()),
      history,
      schemaPath: document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
      ...chatSettings(document.uri),
    };
    const apiKey = await this.secrets.get('openaiApiKey');
    let streamed = '';
    let ended = false;
    try {
      for await (const event of client.chat(body, { apiKey, signal })) {
        if (event.type === 'token') streamed += event.content;
        ended = event.type === 'done' || event.type === 'error';
        yield event;
        if (event.type === 'done') {
          // Only a complete answer becomes history: a half answer would mislead the next turn. The server's
          // `answer` holds the repaired proposal, not the first invalid one (an older server sends none).
          this.histories.remember(key, generation, message, event.answer ?? streamed);
        }
      }
      if (!ended && !signal?.aborted) {
        yield {
          type: 'error',
          code: 'server',
          error: 'The Stitch server ended the chat stream early; see "Stitch: Show Server Log".',
        };
      }
    } catch (err) {
      if (signal?.aborted) return;
      // The client's message already says what failed and what to do (restart the server, set the token).
      const error =
        err instanceof StitchHttpError
          ? err.message
          : `The chat failed: ${causeOf(err)}. Run "Stitch: Restart Server".`;
      yield { type: 'error', code: 'server', error };
    }
  }

  dispose(): void {
    this.histories.clearAll();
  }
}

/** The document as a value when it parses (comments allowed); otherwise its text, so the model can still help. */
function parseLoosely(text: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true });
  return errors.length === 0 ? value : text;
}
