/**
 * Which OpenAI-compatible endpoint a chat turn talks to, and the `openai` SDK client for it. The request
 * (the extension's settings and SecretStorage key) wins over the server's environment (OPENAI_API_KEY,
 * OPENAI_BASE_URL, as the SDK itself reads them), which wins over the defaults. The key lives only in
 * memory for the duration of the request: it is never logged, stored or echoed.
 */
import OpenAI from 'openai';

export const DEFAULT_MODEL = 'gpt-4.1';
export const DEFAULT_TEMPERATURE = 0.2;
/** Default ms to wait for the upstream's response headers, and then between two streamed chunks. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface ProviderConfig {
  apiKey: string | undefined;
  /** undefined = OpenAI's own API. */
  baseUrl: string | undefined;
  model: string;
  temperature: number;
  timeoutMs: number;
}

export interface ProviderRequest {
  apiKey?: string;
  baseUrl?: unknown;
  model?: unknown;
  temperature?: unknown;
}

export interface ProviderDefaults {
  /** Default `process.env`: OPENAI_API_KEY, OPENAI_BASE_URL, STITCH_CHAT_MODEL. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function resolveProvider(request: ProviderRequest, defaults: ProviderDefaults = {}): ProviderConfig {
  const env = defaults.env ?? process.env;
  const temperature = typeof request.temperature === 'number' && Number.isFinite(request.temperature)
    ? Math.min(2, Math.max(0, request.temperature)) : DEFAULT_TEMPERATURE;
  return {
    apiKey: text(request.apiKey) ?? text(env.OPENAI_API_KEY),
    baseUrl: text(request.baseUrl) ?? text(env.OPENAI_BASE_URL),
    model: text(request.model) ?? text(env.STITCH_CHAT_MODEL) ?? DEFAULT_MODEL,
    temperature,
    timeoutMs: defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** OpenAI's API needs a key; a self-hosted server (Ollama, LM Studio, vLLM) usually does not. */
export function needsKey(config: ProviderConfig): boolean {
  if (config.apiKey) return false;
  if (!config.baseUrl) return true;
  try {
    const host = new URL(config.baseUrl).hostname;
    return host === 'api.openai.com' || host.endsWith('.openai.azure.com');
  } catch {
    return false;
  }
}

export function isAzure(config: ProviderConfig): boolean {
  try {
    return config.baseUrl !== undefined && new URL(config.baseUrl).hostname.endsWith('.openai.azure.com');
  } catch {
    return false;
  }
}

/**
 * The SDK client for one request. No automatic retries: a person is waiting, and a 429 or an outage is
 * better reported at once (with the wait) than hidden behind minutes of back-off.
 */
export function createClient(config: ProviderConfig): OpenAI {
  return new OpenAI({
    // Self-hosted servers ignore the key, but the SDK insists on one.
    apiKey: config.apiKey ?? 'no-key',
    baseURL: config.baseUrl ?? 'https://api.openai.com/v1',
    timeout: config.timeoutMs,
    maxRetries: 0,
    // Azure OpenAI's v1 API takes the key in an `api-key` header.
    defaultHeaders: isAzure(config) && config.apiKey ? { 'api-key': config.apiKey } : undefined,
  });
}
