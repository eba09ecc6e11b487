/**
 * Downloading one file into the dataset cache: with a timeout (a dead server never hangs a run), progress
 * messages, an optional expected size, MD5 (what dataset publishers print) and SHA-256, and an atomic rename
 * so that an interrupted download never leaves a file that looks complete. Next to every downloaded file we
 * write `<file>.sha256`, so that a cached copy (which may also come from a package or a person) can be
 * checked on every later read.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Expected {
  /** The publisher's MD5 of the file as served (MNIST and Fashion-MNIST publish MD5 only). */
  md5?: string;
  sha256?: string;
  bytes?: number;
}

export interface DownloadOptions {
  expected?: Expected;
  log: (message: string) => void;
  signal?: AbortSignal;
  /** Abort when no data arrives for this long; default 30 s. */
  idleTimeoutMs?: number;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<Buffer> {
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  // An object, not a `let`: the flag is set in the timer's callback, which narrowing does not see.
  const idle = { timedOut: false };
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle.timedOut = true;
      controller.abort();
    }, idleMs);
  };
  const onCancel = () => controller.abort();
  options.signal?.addEventListener('abort', onCancel);
  arm();
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || !response.body) {
      throw new Error(
        `downloading ${url} failed: HTTP ${response.status} ${response.statusText}; check the dataset download address`,
      );
    }
    const total = Number(response.headers.get('content-length')) || options.expected?.bytes || 0;
    const chunks: Uint8Array[] = [];
    let received = 0;
    let lastReport = 0;
    options.log(`downloading ${url}${total ? ` (${(total / 1e6).toFixed(1)} MB)` : ''}`);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      arm();
      chunks.push(chunk);
      received += chunk.length;
      if (total && received - lastReport >= total / 10 && received < total) {
        lastReport = received;
        options.log(`downloading ${url}: ${Math.round((100 * received) / total)} %`);
      }
    }
    const data = Buffer.concat(chunks);
    checkExpected(url, data, options.expected);
    await mkdir(dirname(dest), { recursive: true });
    const partial = `${dest}.part`;
    await writeFile(partial, data);
    await rename(partial, dest);
    await writeFile(`${dest}.sha256`, `${sha256(data)}\n`);
    options.log(
      `downloaded ${url} (${(data.length / 1e6).toFixed(1)} MB, ${options.expected?.md5 || options.expected?.sha256 ? 'checksum verified' : 'checksum recorded for later reads'})`,
    );
    return data;
  } catch (err) {
    if (idle.timedOut)
      throw new Error(
        `downloading ${url} timed out (no data for ${idleMs / 1000} s); check the network or the dataset download address`,
      );
    if (options.signal?.aborted) throw err;
    const cause = (err as { cause?: Error }).cause;
    throw cause && !(err as Error).message.includes(url)
      ? new Error(
          `downloading ${url} failed: ${cause.message}; check the dataset download address and that the server is reachable`,
        )
      : err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCancel);
  }
}

function checkExpected(url: string, data: Uint8Array, expected: Expected | undefined): void {
  // The published checksum first: its message is the one that identifies the file a person should have.
  if (expected?.md5 && md5(data) !== expected.md5) {
    throw new Error(
      `${url} failed its MD5 check (got ${md5(data)}, expected ${expected.md5}, ${data.length} bytes); the mirror serves ` +
        `a different or damaged file, nothing was cached; point the dataset download address at a copy of the official files`,
    );
  }
  if (expected?.bytes !== undefined && data.length !== expected.bytes) {
    throw new Error(
      `${url} has ${data.length} bytes but ${expected.bytes} were expected; the mirror serves a different file (or a truncated one)`,
    );
  }
  if (expected?.sha256 && sha256(data) !== expected.sha256) {
    throw new Error(
      `${url} failed its SHA-256 check (got ${sha256(data)}, expected ${expected.sha256}); the file is corrupt or not the expected one, nothing was cached`,
    );
  }
}

/**
 * Reads a cached file; when a `.sha256` sidecar exists (written by `downloadFile`), verifies it and removes
 * the damaged file on mismatch so the next run downloads it again.
 */
export async function readVerified(path: string): Promise<Buffer> {
  const data = await readFile(path);
  let recorded: string | null = null;
  try {
    recorded = (await readFile(`${path}.sha256`, 'utf8')).trim();
  } catch {
    recorded = null;
  }
  if (recorded && sha256(data) !== recorded) {
    await rm(path, { force: true });
    await rm(`${path}.sha256`, { force: true });
    throw new Error(
      `the cached ${path} is damaged (its SHA-256 no longer matches the download); it was removed, run again to download it anew`,
    );
  }
  return data;
}
