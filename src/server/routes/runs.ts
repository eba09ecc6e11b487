/**
 * Runs: list, one run with its schema and metrics, its SSE stream, its model files, and delete.
 */
import { createReadStream } from 'node:fs';
import type { RunDetail, RunSummary } from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import { lastEventIdOf, SseSession } from '../sse/session';
import type { RunRecord } from '../runs/store';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId, refuseActiveElsewhere } from './context';
import { readEvaluation } from './evaluation';

/** The public summary (run.json also holds catalog fields that belong to /api/models). */
export function toSummary(record: RunRecord): RunSummary {
  const {
    saved: _saved,
    model_name: _name,
    params: _params,
    input_shape: _shape,
    server_id: _server,
    ...summary
  } = record;
  return summary;
}

export function runRoutes(router: ApiRouter, deps: RouteDeps): void {
  const { runs } = deps;

  router.get('/api/runs', (ctx) => {
    ctx.body = { runs: runs.list().map(toSummary) };
  });

  router.get('/api/runs/:run_id', async (ctx) => {
    const runId = knownRunId(ctx, runs);
    // Read without blocking the event loop (docs/reliability.md): schema.json and a finished run's events.jsonl.
    const [evaluation, schema, events] = await Promise.all([
      readEvaluation(deps, runId),
      runs.schemaOfAsync(runId),
      runs.eventsAsync(runId),
    ]);
    const detail: RunDetail = {
      ...toSummary(runs.get(runId)!),
      schema,
      metrics: events.flatMap((e) => (e.event === 'metric' ? [e.data] : [])),
      evaluation,
    };
    ctx.body = detail;
  });

  router.delete('/api/runs/:run_id', async (ctx) => {
    const runId = knownRunId(ctx, runs);
    refuseActiveElsewhere(runs, runId, 'cancel it and delete');
    if (!(await runs.delete(runId))) {
      throw httpError(
        409,
        `run ${runId} is ${runs.get(runId)?.state}; cancel it (POST /api/train/${runId}/cancel) before deleting it`,
      );
    }
    deps.models.forget(runId);
    ctx.status = 204;
  });

  router.get('/api/runs/:run_id/events', async (ctx) => {
    const runId = knownRunId(ctx, runs);
    const afterId = lastEventIdOf(ctx.req, ctx.query);
    // A live run's events are in memory and must be subscribed to at once (no await before `subscribe`, so
    // none slips by); a finished run's log is read asynchronously first, and cannot change meanwhile.
    const stored = runs.isLive(runId) ? undefined : await runs.eventsAsync(runId);
    // A browser EventSource reconnects whenever a stream ends; 204 is the standard way to tell it the
    // stream is complete, so a finished run does not get reconnect requests forever.
    const record = runs.get(runId);
    if (stored && !stored.some((e) => e.id > afterId) && (!record || isTerminal(record.state))) {
      ctx.status = 204;
      return;
    }
    ctx.respond = false;
    const origin = ctx.response.get('Access-Control-Allow-Origin');
    const session = new SseSession(ctx.req, ctx.res, {
      keepAliveMs: deps.keepAliveMs,
      headers: origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {},
    });
    runs.subscribe(runId, session, afterId, stored);
  });

  // The trained model's files, for "Export Trained Model": GET …/model lists them, GET …/model/<file> downloads.
  router.get('/api/runs/:run_id/model', async (ctx) => {
    const runId = knownRunId(ctx, runs);
    const files = await deps.models.files(runId);
    ctx.body = {
      run_id: runId,
      model_id: runId,
      files: files.map((name) => ({ name, url: `/api/runs/${runId}/model/${name}` })),
    };
  });

  router.get('/api/runs/:run_id/model/:file', async (ctx) => {
    const runId = knownRunId(ctx, runs);
    const file = String(ctx.params.file);
    const path = await deps.models.filePath(runId, file);
    ctx.type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    ctx.attachment(file);
    ctx.body = createReadStream(path);
  });
}
