/**
 * What the schema core needs to check a CSV or IDX dataset (its sample shape), read cheaply at request time
 * so that `/api/validate` and `/api/train` report a wrong `input.shape` as a schema error (422 naming the
 * path) instead of a run that fails later. Only the start of a file is read: the CSV header row, or the
 * IDX header with its dimensions (gunzipping just the first block of a `.gz`). Paths follow the trainer's
 * rule: relative to the schema's folder (`schemaPath`), else the workspace root, and never outside it.
 *
 * A file that is missing or outside the workspace, and a CSV without the label column, are problems the user
 * fixes in the schema: they are reported at their path. A file that is unreadable or malformed is simply not
 * described (`undefined`): the core then skips the check, and the run reports the precise problem when it
 * loads the data.
 */
import { closeSync, constants as fsConstants, openSync, readSync, statSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import type { DatasetInfo, DatasetInfoProvider } from '../../shared/schema';
import type { DatasetSpec } from '../../shared/schema/types';
import { splitCsvLine } from './csv';
import { resolveWorkspaceFile } from './paths';

/** Enough for any sensible CSV header and for an IDX header even inside a gzip stream. */
const HEAD_BYTES = 64 * 1024;
/** Compressed bytes inflated to find an IDX header inside a `.gz`. */
const GZ_PREFIX_BYTES = 4096;

function readHead(path: string): Buffer {
  // Non-blocking as well as checked to be a regular file first (fileProblem): a FIFO must never block.
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const read = readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The sample shape from a CSV header: one feature per column except the label. */
function csvInfo(path: string, label: string): DatasetInfo | undefined {
  const text = readHead(path).toString('utf8');
  const headerLine = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (headerLine === undefined) return undefined;
  const header = splitCsvLine(headerLine);
  if (!header.includes(label)) {
    return {
      problems: [
        {
          segments: ['label'],
          code: 'invalid-value',
          message: `"${label}" is not a column of ${path}; its columns are ${header.join(', ')}`,
        },
      ],
    };
  }
  return { inputShape: [header.length - 1] };
}

/** The sample shape from an IDX images header: [count, rows, cols(, channels)] → [rows, cols, channels]. */
function idxInfo(path: string): DatasetInfo | undefined {
  let head = readHead(path);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    // A prefix of a gzip stream: Z_SYNC_FLUSH returns what decompresses so far instead of throwing.
    // Only a few KB of it, with a cap on the output: the header is in the first bytes, and a highly
    // compressed file must not make a request inflate megabytes.
    head = gunzipSync(head.subarray(0, GZ_PREFIX_BYTES), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: 4 * 1024 * 1024,
    });
  }
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) return undefined;
  const rank = head[3];
  if ((rank !== 3 && rank !== 4) || head.length < 4 + 4 * rank) return undefined;
  const dims = Array.from({ length: rank }, (_, i) => head.readUInt32BE(4 + 4 * i));
  return { inputShape: [dims[1], dims[2], dims[3] ?? 1] };
}

/**
 * Why `path` cannot be a dataset file (a folder, a FIFO, a device), or undefined for a regular file. `stat`
 * never opens the path, so it cannot block on a FIFO; the request's thread only waits for the file system.
 */
function fileProblem(path: string, file: string): string | undefined {
  try {
    const info = statSync(path);
    if (info.isFile()) return undefined;
    const kind = info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a named pipe (FIFO)' : 'a device or special file';
    return `"${file}" is ${kind}, not a file; name the data file itself`;
  } catch (err) {
    return `"${file}" cannot be read (${(err as Error).message})`;
  }
}

/**
 * A provider for `analyzeSchema(…, { datasetInfo })`. `baseDir` is the schema's folder (or the workspace
 * root when the schema has no path).
 */
export function workspaceDatasetInfo(baseDir: string, workspaceRoot: string): DatasetInfoProvider {
  return (spec: DatasetSpec) => {
    if (typeof spec !== 'object' || spec === null) return undefined;
    const files: { segments: string[]; file: string }[] = [];
    if ('csv' in spec && typeof spec.csv === 'string') files.push({ segments: ['csv'], file: spec.csv });
    if ('idx' in spec && spec.idx) {
      for (const key of ['images', 'labels', 'testImages', 'testLabels'] as const) {
        const file = spec.idx[key];
        if (typeof file === 'string') files.push({ segments: ['idx', key], file });
      }
    }
    const problems: NonNullable<DatasetInfo['problems']> = [];
    const resolved = files.map(({ segments, file }) => {
      try {
        return resolveWorkspaceFile(file, baseDir, workspaceRoot, `training.dataset.${segments.join('.')}`);
      } catch (err) {
        // The message starts with the path, which the problem carries on its own.
        problems.push({ segments, code: 'invalid-path', message: (err as Error).message.replace(/^[\w.]+: /, '') });
        return undefined;
      }
    });
    resolved.forEach((path, i) => {
      const problem = path === undefined ? undefined : fileProblem(path, files[i].file);
      if (problem) problems.push({ segments: files[i].segments, code: 'invalid-path', message: problem });
    });
    if (problems.length > 0) return { problems };
    try {
      if ('csv' in spec && resolved[0] && typeof spec.label === 'string') return csvInfo(resolved[0], spec.label);
      if ('idx' in spec && resolved[0]) return idxInfo(resolved[0]);
    } catch {
      // Unreadable or malformed: the run reports it precisely when it loads the data.
    }
    return undefined;
  };
}
