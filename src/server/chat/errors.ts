/**
 * Upstream failures as messages a person can act on, each with a code the extension uses to offer the fix
 * (e.g. the "Set OpenAI API Key" command for `no-key` and `auth`). The messages are our own: nothing the
 * upstream sent (its error body, its error text) goes back to the client, since a request may name any
 * endpoint and must not read the server's view of it. `upstreamDetail` gives that text, scrubbed of the API
 * key (some servers echo the key they rejected), for the server log only.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatErrorCode } from '../../shared/protocol';
import { endpointName, type ProviderConfig } from './provider';

export interface ChatFailure {
  error: string;
  code: ChatErrorCode;
}

const SET_KEY = 'run the command "Stitch: Set OpenAI API Key"';

/** Thrown by our own stream watchdog when the upstream stops sending in the middle of an answer. */
export class StreamStalledError extends Error {
  constructor(readonly ms: number) {
    super(`no data from the model for ${Math.round(ms / 1000)} s`);
  }
}

/**
 * Thrown when an answer grows past MAX_ANSWER_CHARS (turn.ts): no schema proposal needs more, and checking a
 * larger one would hold the server's event loop (~9 ms per 100 KB).
 */
export class AnswerTooLongError extends Error {
  constructor(readonly chars: number) {
    super(`the answer passed ${Math.round(chars / 1024)} KB`);
  }
}

export function noKeyFailure(config: Pick<ProviderConfig, 'baseUrl' | 'requestedBaseUrl'>): ChatFailure {
  if (config.requestedBaseUrl) {
    return {
      code: 'no-key',
      error:
        `This request names its own base URL (${endpointName(config)}), so it must bring its own key in the X-OpenAI-Key header ` +
        `(in VS Code, ${SET_KEY}; a server that needs no key accepts any value). The server's OPENAI_API_KEY is only sent to the server's own endpoint (OPENAI_BASE_URL, or api.openai.com).`,
    };
  }
  return {
    code: 'no-key',
    error:
      `No OpenAI API key is set. In VS Code, ${SET_KEY}. For a server run outside VS Code (stitch serve), ` +
      'start it with OPENAI_API_KEY=<your key> in its environment, or with OPENAI_BASE_URL=<url> pointing at a local model server ' +
      '(Ollama, LM Studio, vLLM), which needs no key; in VS Code a local model is set with stitch.chat.baseUrl.',
  };
}

export function toChatFailure(err: unknown, config: ProviderConfig): ChatFailure {
  const where = endpointName(config);
  if (err instanceof AnswerTooLongError) {
    return {
      code: 'upstream',
      error: `The model at ${where} sent an answer longer than ${Math.round(err.chars / 1024)} KB, more than any schema proposal needs, so it was stopped there. Ask again for a shorter answer, or check the model server (stitch.chat.baseUrl).`,
    };
  }
  if (err instanceof StreamStalledError || err instanceof APIConnectionTimeoutError) {
    return {
      code: 'timeout',
      error: `The model at ${where} did not answer in time (${err instanceof StreamStalledError ? err.message : `${Math.round(config.timeoutMs / 1000)} s`}). Try again, or pick a faster model in stitch.chat.model.`,
    };
  }
  if (err instanceof APIConnectionError) {
    const code = connectionCode(err);
    return {
      code: 'network',
      error: `Cannot reach the model at ${where}${code ? ` (${code})` : ''}. Check your network, or stitch.chat.baseUrl (OPENAI_BASE_URL for a server outside VS Code) if you use a local server (is it running?).`,
    };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    switch (err.status) {
      case 401:
        return {
          code: 'auth',
          error: `The API key was rejected by ${where} (401). ${capitalize(SET_KEY)} to set a valid key (for a server outside VS Code, check its OPENAI_API_KEY).`,
        };
      case 403:
        return {
          code: 'auth',
          error: `${where} refused the request (403). Check that the key has access to model "${config.model}".`,
        };
      case 404:
        return {
          code: 'model-not-found',
          error: `The model "${config.model}" was not found at ${where} (404). Set an available model in the setting stitch.chat.model${config.baseUrl ? ' (or check stitch.chat.baseUrl)' : ''}.`,
        };
      case 429: {
        const wait = retryAfterSeconds(err.headers as Headers | undefined);
        return {
          code: 'rate-limit',
          error: `Rate limited by ${where} (429). ${wait !== undefined ? `Try again in ${wait} s.` : 'Wait a moment and try again.'} Check your plan's quota if this persists.`,
        };
      }
      default:
        return {
          code: 'upstream',
          error: `The model at ${where} failed (${err.status}). Try again in a moment; the server log has the details.`,
        };
    }
  }
  return {
    code: 'upstream',
    error: `The model's answer from ${where} broke off. Try again; the server log has the details.`,
  };
}

/** What the upstream said about a failure, for the server log: one line, at most 300 characters, no key. */
export function upstreamDetail(err: unknown, config: Pick<ProviderConfig, 'apiKey'>): string {
  let text: string;
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown } | undefined;
    text = typeof body?.message === 'string' ? body.message : err.message;
  } else {
    text = err instanceof Error ? err.message : String(err);
  }
  return scrub(text.replace(/\s+/g, ' ').trim().slice(0, 300), config);
}

/** Seconds to wait from `retry-after` (seconds or an HTTP date) or `retry-after-ms`. */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Removes the API key (and anything that looks like a bearer secret of it) from text. */
export function scrub(text: string, config: Pick<ProviderConfig, 'apiKey'>): string {
  const key = config.apiKey;
  if (!key || key.length < 4) return text;
  return text.split(key).join('***');
}

/** A system error code of the connection (ECONNREFUSED, ENOTFOUND): ours to name, not the upstream's text. */
function connectionCode(err: Error): string | undefined {
  const cause = (err as { cause?: { code?: unknown; cause?: { code?: unknown } } }).cause;
  const code = cause?.code ?? cause?.cause?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}

const capitalize = (s: string): string => s[0].toUpperCase() + s.slice(1);
