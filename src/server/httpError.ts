/**
 * An error with an HTTP status, for routes, middleware and services to `throw` (the error middleware answers
 * it as `{ error: message, ...details }`). Unlike `ctx.throw`, a `throw` statement narrows types in TypeScript.
 * `expose`, as in http-errors: whether the message is for the client (default: for a status below 500).
 */
export interface HttpError extends Error {
  status: number;
  expose: boolean;
  headers?: Record<string, string>;
  errors?: unknown;
}

export interface HttpErrorDetails {
  headers?: Record<string, string>;
  errors?: unknown;
  expose?: boolean;
}

export function httpError(status: number, message: string, details: HttpErrorDetails = {}): HttpError {
  const err = new Error(message) as HttpError;
  err.status = status;
  err.expose = details.expose ?? status < 500;
  if (details.headers) err.headers = details.headers;
  if (details.errors !== undefined) err.errors = details.errors;
  return err;
}
