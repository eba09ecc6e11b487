/**
 * An error with an HTTP status, for routes and middleware to `throw` (the error middleware answers it as
 * `{ error: message, ...details }`). Unlike `ctx.throw`, a `throw` statement narrows types in TypeScript.
 */
export interface HttpError extends Error {
  status: number;
  expose: boolean;
  headers?: Record<string, string>;
  errors?: unknown;
}

export function httpError(status: number, message: string, details: { headers?: Record<string, string>; errors?: unknown } = {}): HttpError {
  const err = new Error(message) as HttpError;
  err.status = status;
  err.expose = status < 500;
  if (details.headers) err.headers = details.headers;
  if (details.errors !== undefined) err.errors = details.errors;
  return err;
}
