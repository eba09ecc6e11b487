/**
 * `stitch export RUN --format tfjs|keras|pytorch [--out DIR]`: writes a trained run as files for another
 * framework (see docs/export.md). Reads the runs folder directly, so no server needs to run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exportRun, ExportError, type RunSource } from '../export/runExport';
import { EXPORT_FORMATS, isExportFormat } from '../export/exportModel';
import { RunStore, type RunRecord } from '../runs/store';
import { stitchHome } from '../server';
import { UsageError } from './serve';

export interface ExportCommandOptions {
  run: string;
  format: string | undefined;
  out?: string;
  includeData: boolean;
  /** Write into an `out` folder that has files (an earlier export, the user's own). */
  force?: boolean;
  runsDir?: string;
  dataDir?: string;
  workspace?: string;
  print: (line: string) => void;
}

/** A run store read straight from disk. */
export function folderRunSource(runsDir: string): RunSource {
  const store = new RunStore(runsDir);
  return {
    record: (runId) => {
      if (!RunStore.isRunId(runId)) return undefined;
      const file = join(store.runDir(runId), 'run.json');
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord) : undefined;
    },
    schema: (runId) => store.readSchema(runId),
    modelDir: (runId) => store.modelDir(runId),
  };
}

export async function exportCommand(options: ExportCommandOptions): Promise<number> {
  if (!isExportFormat(options.format)) {
    throw new UsageError(
      `--format: use ${EXPORT_FORMATS.join(', ')} (got ${options.format === undefined ? 'none' : `"${options.format}"`})`,
    );
  }
  const runsDir = resolve(options.runsDir ?? join(stitchHome(), 'runs'));
  const source = folderRunSource(runsDir);
  const record = source.record(options.run);
  const outDir = resolve(
    options.out ?? `${(record?.name ?? options.run).replace(/[^A-Za-z0-9_.-]/g, '_')}-${options.format}`,
  );
  // Checked before the export's work: an earlier export (the user may have edited its model.py) or a folder of
  // their own is not written over unless asked.
  const present = await readdir(outDir).catch(() => []);
  if (present.length > 0 && !options.force) {
    throw new UsageError(
      `${outDir} already has files (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); pass --out with another folder, or --force to write over them`,
    );
  }
  let files;
  try {
    files = await exportRun(source, options.run, {
      format: options.format,
      includeData: options.includeData,
      dataCacheDir: resolve(options.dataDir ?? join(stitchHome(), 'data')),
      workspaceRoot: (schemaPath) => resolve(options.workspace ?? (schemaPath ? dirname(schemaPath) : process.cwd())),
      log: options.print,
    });
  } catch (err) {
    if (err instanceof ExportError) throw new UsageError(`${err.message} (runs folder ${runsDir})`);
    throw err;
  }
  for (const file of files) {
    const path = join(outDir, ...file.path.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.data);
  }
  options.print(`exported run ${options.run} as ${options.format} to ${outDir}:`);
  for (const file of files) options.print(`  ${file.path} (${file.data.byteLength.toLocaleString('en-US')} bytes)`);
  options.print(`see ${join(outDir, 'README.md')} for how to use it`);
  return 0;
}
