/**
 * Guards a server that listens on loopback against web pages: a page on the internet could otherwise make
 * the browser send requests to `http://127.0.0.1:PORT` (cross-site requests) or resolve its own name to
 * 127.0.0.1 (DNS rebinding). So the `Host` header must be a loopback name, and a request that carries an
 * `Origin` must come from a loopback page or a VS Code webview. A server started for remote use skips the
 * Host check (its token protects it) but still refuses foreign origins.
 */
import type { Middleware } from 'koa';
import { httpError } from '../httpError';

export interface HostCheckOptions {
  /** Accept any Host (server reachable from other machines). Default false. */
  allowRemote?: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a `Host` header value without its port: `[::1]:8080` → `[::1]`. */
export function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export function isLoopbackHost(host: string): boolean {
  const name = hostName(host);
  return LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost');
}

/** Loopback web pages and VS Code webviews may call the server; every other origin may not. */
export function isAllowedOrigin(origin: string, requestHost: string, allowRemote: boolean): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null" of sandboxed frames and file:// pages
  }
  if (url.protocol === 'vscode-webview:') return true;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (isLoopbackHost(url.host)) return true;
  return allowRemote && url.host.toLowerCase() === requestHost.toLowerCase();
}

export function hostCheck(options: HostCheckOptions = {}): Middleware {
  const allowRemote = options.allowRemote ?? false;
  return async function checkHost(ctx, next) {
    const host = ctx.get('Host');
    if (!allowRemote && !isLoopbackHost(host)) {
      throw httpError(
        403,
        `Host "${host}" is not allowed: this server only answers requests for localhost, 127.0.0.1 or [::1] (start it with --allow-remote and a token to serve other machines)`,
      );
    }
    const origin = ctx.get('Origin');
    if (origin && !isAllowedOrigin(origin, host, allowRemote)) {
      throw httpError(
        403,
        `requests from the web page origin "${origin}" are not allowed; only loopback pages and VS Code webviews may call this server`,
      );
    }
    await next();
  };
}
