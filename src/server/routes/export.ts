/**
 * `POST /api/runs/:run_id/export` `{ format: "tfjs"|"keras"|"pytorch", include_data? }` → the export's files
 * (base64), for clients that write them where the user chooses (the extension's "Export Trained Model…";
 * `stitch export` writes the same files itself). See docs/export.md. The export runs in a worker thread
 * (src/server/export/exportRunner.ts), which also serialises the answer: the route sends its bytes as they are.
 */
import { httpError } from '../httpError';
import { EXPORT_FORMATS, isExportFormat, type ExportFormat } from '../export/exportModel';
import { ExportError } from '../export/runExport';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId, objectBody } from './context';

/**
 * The answer `{ run_id, format, files: [{ path, bytes, base64 }] }` as JSON bytes; rejects with the status
 * the client gets (an ExportError: 404 unknown run, 409 not succeeded; 503 busy or too slow) or an internal
 * error.
 */
export type RunExporter = (runId: string, format: ExportFormat, includeData: boolean) => Promise<Buffer>;

export function exportRoutes(router: ApiRouter, deps: RouteDeps, exporter: RunExporter): void {
  router.post('/api/runs/:run_id/export', async (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    const body = objectBody(ctx, '{ "format": "pytorch" }');
    if (!isExportFormat(body.format))
      throw httpError(400, `format: use ${EXPORT_FORMATS.join(', ')}, e.g. { "format": "pytorch" }`);
    if (body.include_data !== undefined && typeof body.include_data !== 'boolean')
      throw httpError(400, 'include_data: use true or false');
    let json: Buffer;
    try {
      json = await exporter(runId, body.format, body.include_data !== false);
    } catch (err) {
      if (err instanceof ExportError) throw httpError(err.status, err.message);
      throw err;
    }
    ctx.type = 'application/json';
    ctx.body = json;
  });
}
