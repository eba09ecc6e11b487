/**
 * The extension's side of the AI chat: sends one turn about a schema document to the server's
 * `POST /api/chat` (with the API key from SecretStorage in a header, and the `stitch.chat.*` settings),
 * turns the SSE stream into `ChatStreamEvent`s, and keeps each schema file's conversation (bounded) so that
 * follow-up questions work. The webview's chat UI consumes `send`; `reviewProposal` applies a proposal.
 */
import { parse, type ParseError } from 'jsonc-parser';
import * as vscode from 'vscode';
import type { ChatErrorCode, ChatEventMap, ChatHistoryMessage, ChatRequest } from '../../shared/protocol';
import { decodeSse } from '../../shared/sse/decoder';
import type { StitchClient } from '../client';
import type { Secrets } from '../secrets';
import type { ServerController } from '../serverController';

import { answerForHistory, ChatHistories, MAX_HISTORY_MESSAGES } from './chatHistory';
import { reviewProposal, type ReviewOptions } from './review';

export { reviewProposal, MAX_HISTORY_MESSAGES };

export type ChatStreamEvent =
  | { type: 'token'; content: string }
  | { type: 'schema'; proposedSchema: unknown; valid: boolean; errors: { path: string; message: string }[] }
  | { type: 'done' }
  | { type: 'error'; error: string; code?: ChatErrorCode };

/** The header that carries the OpenAI API key to the server for one request. */
export const API_KEY_HEADER = 'X-OpenAI-Key';

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

  constructor(private readonly server: ServerController, private readonly secrets: Secrets) {}

  /** The conversation kept for a schema file (oldest first), e.g. to restore a chat view. */
  history(uri: vscode.Uri): readonly ChatHistoryMessage[] {
    return this.histories.get(uri.toString());
  }

  /** Forgets the file's conversation; a turn still running for it will not add its answer afterwards. */
  clearHistory(uri: vscode.Uri): void {
    this.histories.clear(uri.toString());
  }

  /** `reviewProposal`, reachable through the extension's API (tests run in VS Code use it this way). */
  review(document: vscode.TextDocument, proposedSchema: unknown, options?: ReviewOptions): Promise<'applied' | 'rejected'> {
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
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort);
    let answer = '';
    let proposal: unknown;
    let finished = false;
    try {
      let client: StitchClient;
      try {
        client = await this.server.ensureStarted();
      } catch (err) {
        yield { type: 'error', code: 'server', error: `The Stitch server is not available: ${(err as Error).message}` };
        return;
      }
      const body: ChatRequest = {
        message,
        currentSchema: parseLoosely(document.getText()),
        history,
        schemaPath: document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
        ...chatSettings(document.uri),
      };
      const response = await this.post(client, body, controller.signal);
      if (!response.ok || !response.body) {
        yield { type: 'error', code: 'server', error: await errorText(response) };
        return;
      }
      const text = response.body.pipeThrough(new TextDecoderStream());
      for await (const sse of decodeSse(text)) {
        const event = toChatEvent(sse.event, sse.data);
        if (!event) continue;
        if (event.type === 'token') answer += event.content;
        if (event.type === 'schema') proposal = event.proposedSchema;
        if (event.type === 'done') finished = true;
        yield event;
        if (event.type === 'done' || event.type === 'error') return;
      }
      if (!finished && !controller.signal.aborted) {
        yield { type: 'error', code: 'server', error: 'The Stitch server ended the chat stream early; see "Stitch: Show Server Log".' };
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      yield { type: 'error', code: 'server', error: `Could not reach the Stitch server for the chat: ${causeOf(err)}. Run "Stitch: Restart Server".` };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
      // Only a complete answer becomes history: a half answer would mislead the next turn. After a repair
      // round it holds the repaired schema, not the first invalid one.
      if (finished) this.histories.remember(key, generation, message, answerForHistory(answer, proposal));
    }
  }

  dispose(): void {
    this.histories.clearAll();
  }

  private async post(client: StitchClient, body: ChatRequest, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    // StitchClient keeps its bearer token private; the chat stream needs it on a raw fetch.
    const token = (client as unknown as { token?: string }).token;
    if (token) headers.Authorization = `Bearer ${token}`;
    const apiKey = await this.secrets.get('openaiApiKey');
    if (apiKey) headers[API_KEY_HEADER] = apiKey;
    return fetch(new URL('/api/chat', client.baseUrl), { method: 'POST', headers, body: JSON.stringify(body), signal });
  }
}

/** One SSE message as a typed event; unknown events (from a newer server) are skipped. */
export function toChatEvent(event: string, data: string): ChatStreamEvent | undefined {
  let payload: unknown;
  try {
    payload = data ? JSON.parse(data) : {};
  } catch {
    return undefined;
  }
  switch (event) {
    case 'token': return { type: 'token', content: String((payload as ChatEventMap['token']).content ?? '') };
    case 'schema': {
      // The payload is the server's JSON, checked field by field: `valid` is true only when the server said so.
      const p = payload as Partial<ChatEventMap['schema']>;
      return { type: 'schema', proposedSchema: p.proposedSchema, valid: p.valid === true, errors: Array.isArray(p.errors) ? p.errors : [] };
    }
    case 'done': return { type: 'done' };
    case 'error': {
      const p = payload as ChatEventMap['error'];
      return { type: 'error', error: String(p.error ?? 'the chat failed'), ...(p.code ? { code: p.code } : {}) };
    }
    default: return undefined;
  }
}

/** The document as a value when it parses (comments allowed); otherwise its text, so the model can still help. */
function parseLoosely(text: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true });
  return errors.length === 0 ? value : text;
}

async function errorText(response: Response): Promise<string> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return `The Stitch server refused the chat request: ${message}`;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause?.message;
  return cause ?? (err as Error).message ?? String(err);
}
