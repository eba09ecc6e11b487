/**
 * `POST /api/runs/:run_id/export` `{ format: "tfjs"|"keras"|"pytorch", include_data? }` → the export's files
 * (base64), for clients that write them where the user chooses (the extension's "Export Trained Model…";
 * `stitch export` writes the same files itself). See docs/export.md.
 */
import type { ExportResponse } from '../../shared/protocol';
import { httpError } from '../httpError';
import { EXPORT_FORMATS, isExportFormat, type ExportFile, type ExportFormat } from '../export/exportModel';
import { ExportError } from '../export/runExport';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId, objectBody } from './context';

export type RunExporter = (runId: string, format: ExportFormat, includeData: boolean) => Promise<ExportFile[]>;

export function exportRoutes(router: ApiRouter, deps: RouteDeps, exporter: RunExporter): void {
  router.post('/api/runs/:run_id/export', async (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    const body = objectBody(ctx, '{ "format": "pytorch" }');
    if (!isExportFormat(body.format))
      throw httpError(400, `format: use ${EXPORT_FORMATS.join(', ')}, e.g. { "format": "pytorch" }`);
    if (body.include_data !== undefined && typeof body.include_data !== 'boolean')
      throw httpError(400, 'include_data: use true or false');
    let files: ExportFile[];
    try {
      files = await exporter(runId, body.format, body.include_data !== false);
    } catch (err) {
      if (err instanceof ExportError) throw httpError(err.status, err.message);
      throw err;
    }
    const response: ExportResponse = {
      run_id: runId,
      format: body.format,
      files: files.map((f) => ({ path: f.path, bytes: f.data.byteLength, base64: f.data.toString('base64') })),
    };
    ctx.body = response;
  });
}
