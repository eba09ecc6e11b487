/**
 * Dataset files are streamed and capped (docs/reliability.md): a gzipped IDX file that inflates past the cap
 * or whose header claims a huge count is never inflated whole; a FIFO or a folder is refused without opening.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../../src/server/data/index';
import { MAX_IDX_BYTES, readIdxPrefix } from '../../../src/server/data/boundedRead';

/** An IDX header of unsigned bytes with these dimensions (the data is written separately). */
function idxHeader(dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

test('a gzipped IDX that inflates to 300 MB is read only as far as maxSamples needs, and refused whole past the cap', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-bounded-'));
  try {
    const count = 400_000; // 400,000 × 28 × 28 bytes = 313 MB inflated, ~300 KB compressed
    const header = idxHeader([count, 28, 28]);
    writeFileSync(join(dir, 'big.gz'), gzipSync(Buffer.concat([header, Buffer.alloc(count * 784)]), { level: 1 }));
    // A header that claims 2^31 samples over a few real ones.
    writeFileSync(
      join(dir, 'liar.gz'),
      gzipSync(Buffer.concat([idxHeader([0x7fffffff, 28, 28]), Buffer.alloc(784 * 10)])),
    );
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const head = await readIdxPrefix(join(dir, 'big.gz'), 'big.gz', 1000);
    assert.equal(head.count, 1000);
    assert.equal(head.data.length, 1000 * 784);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'the file was not inflated whole');
    await assert.rejects(
      readIdxPrefix(join(dir, 'big.gz'), 'big.gz', Infinity),
      new RegExp(`more than the ${MAX_IDX_BYTES / 1024 / 1024} MB .*set training\\.maxSamples to at most \\d+`),
    );
    await assert.rejects(readIdxPrefix(join(dir, 'liar.gz'), 'liar.gz', Infinity), /more than the 256 MB/);
    await assert.rejects(
      readIdxPrefix(join(dir, 'liar.gz'), 'liar.gz', 50),
      /truncated: its header promises 2147483647 samples/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO or a folder named as a CSV dataset fails at once with what it is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-fifo-'));
  try {
    execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
    mkdirSync(join(dir, 'folder.csv'));
    const context = {
      baseDir: dir,
      workspaceRoot: dir,
      cacheDir: join(dir, 'c'),
      baseUrl: null,
      seed: 1,
      log: () => undefined,
    };
    await assert.rejects(
      loadDataset({ csv: 'pipe.csv', label: 'y' }, context),
      /pipe\.csv is a named pipe \(FIFO\), not a file/,
    );
    await assert.rejects(
      loadDataset({ csv: 'folder.csv', label: 'y' }, context),
      /folder\.csv is a folder, not a file/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
