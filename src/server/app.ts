/**
 * `createApp(deps)`: the Koa app without listening (tests mount it on an ephemeral port, `startServer`
 * on the configured one). Middleware order matters: the request log, errors (so everything below is answered as
 * `{ error }`), then the host/origin guard, CORS (preflights carry no token), the token, the body, routes.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { chatRoutes, type ChatOptions } from './chat/route';
import { bearerAuth } from './middleware/auth';
import { cors } from './middleware/cors';
import { errorHandler } from './middleware/errors';
import { hostCheck } from './middleware/hostCheck';
import { jsonBody } from './middleware/jsonBody';
import { requestLog } from './middleware/requestLog';
import type { RouteDeps } from './routes/context';
import { evaluationRoutes } from './routes/evaluation';
import { exportRoutes, type RunExporter } from './routes/export';
import { healthRoutes } from './routes/health';
import { modelRoutes } from './routes/models';
import { runRoutes } from './routes/runs';
import { trainRoutes } from './routes/train';
import { validateRoutes } from './routes/validate';
import { isSchemaRequest, poolBodyParser } from './validation/check';

export interface AppDeps extends RouteDeps {
  /** Bearer token required on /api/*; undefined or empty = no authentication (loopback-only use). */
  token?: string;
  /** Accept requests for any Host name (remote use; requires a token at the CLI). Default false. */
  allowRemote?: boolean;
  /** Largest JSON body in bytes. Default 10 MB. */
  bodyLimit?: number;
  /** A request body must arrive within this many ms, else 408. Default 30000. */
  bodyTimeoutMs?: number;
  /** The chat's provider defaults (environment, timeout); default: OPENAI_* from process.env, 60 s. */
  chat?: ChatOptions;
  /** Builds a run's export files (`POST /api/runs/:run_id/export`); the route is absent without it. */
  exporter?: RunExporter;
  /** Extra routes mounted after ours. */
  extraRoutes?: (router: Router) => void;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // Errors are answered and logged by errorHandler; Koa's own handler would print them a second time.
  app.silent = true;
  // Case-sensitive and strict, so each route has exactly one spelling.
  const router = new Router({ sensitive: true, strict: true });
  healthRoutes(router, deps);
  validateRoutes(router, deps);
  trainRoutes(router, deps);
  runRoutes(router, deps);
  modelRoutes(router, deps);
  chatRoutes(router, deps, deps.chat);
  evaluationRoutes(router, deps);
  if (deps.exporter) exportRoutes(router, deps, deps.exporter);
  deps.extraRoutes?.(router);

  // The log is outside the error handler, so it records the status the client really got (401, 403, 400…).
  app.use(requestLog(deps.log));
  app.use(errorHandler({ log: deps.log }));
  app.use(hostCheck({ allowRemote: deps.allowRemote }));
  app.use(cors());
  app.use(bearerAuth({ token: deps.token }));
  app.use(
    jsonBody({
      limit: deps.bodyLimit,
      timeoutMs: deps.bodyTimeoutMs,
      raw: isSchemaRequest,
      parse: deps.validation ? poolBodyParser(deps.validation) : undefined,
    }),
  );
  // Other servers sharing the runs folder (one per VS Code window): what they did is read before a request
  // that reads runs or models (at most once a second for runs; the catalog when its file changed).
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/api/') && ctx.path !== '/api/health') {
      await deps.runs.refresh();
      await deps.models.syncCatalog();
    }
    await next();
  });
  app.use(router.routes());
  // Without throw the router leaves 405/501 with an `Allow` header; errorHandler words them.
  app.use(router.allowedMethods());
  return app;
}
