/**
 * Reading a user's dataset file without letting it take the trainer's memory or freeze the server:
 *  - the path is checked with an (async) `stat` first: only regular files are opened, because opening a
 *    FIFO blocks until someone writes to it, and a folder or a device is never a dataset;
 *  - files are streamed (gzip inflated chunk by chunk) and reading stops at what is needed: the samples
 *    that `maxSamples` can use, and never more than the caps below. A file that needs more than a cap is an
 *    error that says which cap and what to set, not a trainer that grows until the system kills it.
 * The caps are listed in docs/reliability.md.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Largest IDX payload read from one file (bytes of samples, as stored: one byte a value). */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;
/** Largest CSV file read (bytes of text, after any decompression). */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;
/** Longest CSV line; a longer one is not a row of numbers. */
export const MAX_CSV_LINE_BYTES = 1024 * 1024;

/** Fails unless `path` is a regular file; `name` is how the schema names it. Never opens the path. */
export async function checkRegularFile(path: string, name: string): Promise<void> {
  const info = await stat(path);
  if (info.isFile()) return;
  const kind = info.isDirectory()
    ? 'a folder'
    : info.isFIFO()
      ? 'a named pipe (FIFO)'
      : info.isSocket()
        ? 'a socket'
        : 'a device or special file';
  throw new Error(`${name} is ${kind}, not a file; name a regular data file`);
}

/** The file's bytes as a stream, inflated when it starts with the gzip magic bytes. */
async function openData(path: string): Promise<{ chunks: AsyncIterable<Buffer>; close: () => void }> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  const raw = createReadStream('', { fd: handle, start: 0, autoClose: true });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return { chunks: raw, close: () => raw.destroy() };
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  return {
    chunks: gunzip,
    close: () => {
      raw.destroy();
      gunzip.destroy();
    },
  };
}

export interface IdxHead {
  /** The dimensions as the header states them (`dims[0]` is the number of samples the file claims). */
  dims: number[];
  /** The data type byte (0x08: unsigned bytes). */
  type: number;
  /** The first `count` samples' values. */
  data: Uint8Array;
  count: number;
}

/**
 * The header and the first `maxItems` samples of an IDX file (gzipped or not), reading no further. A header
 * that claims more than the file holds is reported as truncated; one whose samples pass MAX_IDX_BYTES is
 * refused with the number of samples that would fit.
 */
export async function readIdxPrefix(path: string, name: string, maxItems: number): Promise<IdxHead> {
  await checkRegularFile(path, name);
  const { chunks, close } = await openData(path);
  let header = Buffer.alloc(0);
  let head: IdxHead | undefined;
  let needed = 0;
  let filled = 0;
  try {
    for await (const chunk of chunks) {
      let rest = chunk;
      if (!head) {
        header = Buffer.concat([header, chunk]);
        const parsed = parseHeader(header, name);
        if (!parsed) continue;
        const { dims, type, offset } = parsed;
        const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
        const fit = Math.floor(MAX_IDX_BYTES / Math.max(1, itemSize));
        const count = Math.min(dims[0], maxItems);
        if (count > fit) {
          throw new Error(
            `${name} has ${dims[0]} samples of ${itemSize} values: more than the ${MAX_IDX_BYTES / 1024 / 1024} MB a dataset file may load; set training.maxSamples to at most ${Math.floor(fit * 0.8)}`,
          );
        }
        needed = count * itemSize;
        head = { dims, type, data: new Uint8Array(needed), count };
        rest = header.subarray(offset);
      }
      const take = Math.min(rest.length, needed - filled);
      head.data.set(rest.subarray(0, take), filled);
      filled += take;
      if (filled >= needed) break;
    }
  } finally {
    close();
  }
  if (!head) {
    if (header.length >= 4 && (header[0] !== 0 || header[1] !== 0)) throw notIdx(name);
    throw new Error(`${name} ends inside its IDX header; download or export it again`);
  }
  if (filled < needed) {
    throw new Error(
      `${name} is truncated: its header promises ${head.dims[0]} samples but it holds fewer (${filled} of ${needed} values read); download it again`,
    );
  }
  return head;
}

function notIdx(name: string): Error {
  return new Error(
    `${name} is not an IDX file (it should start with two zero bytes); use files in the MNIST IDX format`,
  );
}

/** The header once enough bytes are there, else undefined. */
function parseHeader(bytes: Buffer, name: string): { dims: number[]; type: number; offset: number } | undefined {
  if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) throw notIdx(name);
  if (bytes.length < 4) return undefined;
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${name}: the IDX header has no dimensions`);
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) return undefined;
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { dims, type: bytes[2], offset };
}

/**
 * The lines of a text file (gzipped or not), streamed. Stops with an error past MAX_CSV_BYTES, or at a line
 * longer than MAX_CSV_LINE_BYTES, so neither a huge file nor one without newlines is ever held whole.
 */
export async function* textLines(path: string, name: string): AsyncGenerator<string> {
  await checkRegularFile(path, name);
  const { chunks, close } = await openData(path);
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let total = 0;
  try {
    for await (const chunk of chunks) {
      total += chunk.length;
      if (total > MAX_CSV_BYTES) {
        throw new Error(
          `${name} is larger than the ${MAX_CSV_BYTES / 1024 / 1024} MB a CSV dataset may be; use a smaller file (a sample of the rows)`,
        );
      }
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_CSV_LINE_BYTES) {
        throw new Error(
          `${name} has a line longer than ${MAX_CSV_LINE_BYTES / 1024 / 1024} MB; it is not a CSV file of numbers`,
        );
      }
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    pending += decoder.decode();
    if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
  } finally {
    close();
  }
}
