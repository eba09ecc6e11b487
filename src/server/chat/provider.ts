/**
 * Which OpenAI-compatible endpoint a chat turn talks to, and the `openai` SDK client for it. The request
 * (the extension's settings and SecretStorage key) wins over the server's environment (OPENAI_API_KEY,
 * OPENAI_BASE_URL, as the SDK itself reads them), which wins over the defaults. The key lives only in
 * memory for the duration of the request: it is never logged, stored or echoed.
 *
 * The server's own key goes only to the server's own endpoint (OPENAI_BASE_URL, or OpenAI's API): any page
 * or process that reaches the server may name a base URL, and must not be able to send the key there. A
 * request that names another endpoint brings its own key, except for a model server on loopback (Ollama,
 * LM Studio, vLLM on this machine), which needs none.
 */
import OpenAI from 'openai';

export const DEFAULT_MODEL = 'gpt-4.1';
export const DEFAULT_TEMPERATURE = 0.2;
/** Default ms to wait for the upstream's response headers, and then between two streamed chunks. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** OpenAI's API, where the SDK goes when no base URL is set. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface ProviderConfig {
  apiKey: string | undefined;
  /** undefined = OpenAI's own API. */
  baseUrl: string | undefined;
  /** True when the request named an endpoint other than the server's own: the server's key is not sent. */
  requestedBaseUrl: boolean;
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
  const temperature =
    typeof request.temperature === 'number' && Number.isFinite(request.temperature)
      ? Math.min(2, Math.max(0, request.temperature))
      : DEFAULT_TEMPERATURE;
  const ownUrl = text(env.OPENAI_BASE_URL);
  const askedUrl = text(request.baseUrl);
  const requestedBaseUrl = askedUrl !== undefined && !sameEndpoint(askedUrl, ownUrl ?? OPENAI_BASE_URL);
  return {
    apiKey: text(request.apiKey) ?? (requestedBaseUrl ? undefined : text(env.OPENAI_API_KEY)),
    baseUrl: askedUrl ?? ownUrl,
    requestedBaseUrl,
    model: text(request.model) ?? text(env.STITCH_CHAT_MODEL) ?? DEFAULT_MODEL,
    temperature,
    timeoutMs: defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The same endpoint, whatever trailing slashes or letter case of the host. */
function sameEndpoint(a: string, b: string): boolean {
  const normal = (url: string): string => {
    try {
      const parsed = new URL(url);
      return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    } catch {
      return url;
    }
  };
  return normal(a) === normal(b);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Whether a turn cannot go ahead without a key: OpenAI's API needs one, and so does any endpoint a request
 * names itself other than a model server on loopback; the server's own self-hosted endpoint usually does not.
 */
export function needsKey(config: ProviderConfig): boolean {
  if (config.apiKey) return false;
  if (!config.baseUrl) return true;
  const host = hostOf(config.baseUrl);
  if (config.requestedBaseUrl) return host === undefined || !(LOOPBACK.has(host) || host.endsWith('.localhost'));
  return host === 'api.openai.com' || host?.endsWith('.openai.azure.com') === true;
}

/** `https://host:port` of the endpoint, for messages: no path, query or credentials. */
export function endpointName(config: Pick<ProviderConfig, 'baseUrl'>): string {
  if (!config.baseUrl) return 'api.openai.com';
  try {
    return new URL(config.baseUrl).origin;
  } catch {
    return 'the configured base URL';
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
    baseURL: config.baseUrl ?? OPENAI_BASE_URL,
    timeout: config.timeoutMs,
    maxRetries: 0,
    // Azure OpenAI's v1 API takes the key in an `api-key` header.
    defaultHeaders: isAzure(config) && config.apiKey ? { 'api-key': config.apiKey } : undefined,
  });
}
