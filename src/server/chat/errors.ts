/**
 * Upstream failures as messages a person can act on, each with a code the extension uses to offer the fix
 * (e.g. the "Set OpenAI API Key" command for `no-key` and `auth`). Anything that came from the upstream is
 * scrubbed of the API key before it is shown or logged: some servers echo the key they rejected.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { isObject } from '../../shared/isObject';
import type { ChatErrorCode } from '../../shared/protocol';
import type { ProviderConfig } from './provider';

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

export function noKeyFailure(): ChatFailure {
  return {
    code: 'no-key',
    error: `No OpenAI API key is set: ${SET_KEY} (or start the server with OPENAI_API_KEY). ` +
      'For a local model (Ollama, LM Studio, vLLM) set stitch.chat.baseUrl instead.',
  };
}

export function toChatFailure(err: unknown, config: ProviderConfig): ChatFailure {
  const where = config.baseUrl ?? 'api.openai.com';
  if (err instanceof StreamStalledError || err instanceof APIConnectionTimeoutError) {
    return { code: 'timeout', error: `The model at ${where} did not answer in time (${err instanceof StreamStalledError ? err.message : `${Math.round(config.timeoutMs / 1000)} s`}). Try again, or pick a faster model in stitch.chat.model.` };
  }
  if (err instanceof APIConnectionError) {
    const cause = scrub(causeOf(err), config);
    return { code: 'network', error: `Cannot reach the model at ${where} (${cause}). Check your network, or stitch.chat.baseUrl if you use a local server (is it running?).` };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const detail = scrub(upstreamMessage(err), config);
    switch (err.status) {
      case 401:
        return { code: 'auth', error: `The API key was rejected by ${where} (401: ${detail}). ${capitalize(SET_KEY)} to set a valid key.` };
      case 403:
        return { code: 'auth', error: `${where} refused the request (403: ${detail}). Check that the key has access to model "${config.model}".` };
      case 404:
        return { code: 'model-not-found', error: `The model "${config.model}" was not found at ${where} (404: ${detail}). Set an available model in the setting stitch.chat.model${config.baseUrl ? ' (or check stitch.chat.baseUrl)' : ''}.` };
      case 429: {
        const wait = retryAfterSeconds(err.headers as Headers | undefined);
        return { code: 'rate-limit', error: `Rate limited by ${where} (429: ${detail}). ${wait !== undefined ? `Try again in ${wait} s.` : 'Wait a moment and try again.'} Check your plan's quota if this persists.` };
      }
      default:
        return { code: 'upstream', error: `The model at ${where} failed (${err.status}: ${detail}). Try again in a moment.` };
    }
  }
  return { code: 'upstream', error: `The model's answer broke off: ${scrub(err instanceof Error ? err.message : String(err), config)}. Try again.` };
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

function upstreamMessage(err: { error: unknown; message: string }): string {
  const body: unknown = err.error;
  const message = isObject(body) && typeof body.message === 'string' ? body.message : err.message;
  return message.replace(/^\d{3}\s+/, '').slice(0, 300);
}

function causeOf(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

const capitalize = (s: string): string => s[0].toUpperCase() + s.slice(1);
