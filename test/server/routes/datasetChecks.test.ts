/**
 * `/api/validate` and `/api/train` check a schema's input shape against its CSV/IDX dataset, read from the
 * file's header in the workspace (relative to `schemaPath`'s folder), so a wrong shape is a 422 naming
 * `input.shape` instead of a run that fails later.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../serverHarness';
import { idxBytes, mnistLike } from '../data/helpers';

const examples = join(__dirname, '../../../examples');
const iris = JSON.parse(readFileSync(join(examples, 'iris.stitch.json'), 'utf8')) as Record<string, unknown>;
const withShape = (schema: Record<string, unknown>, shape: number[]) => ({ ...schema, input: { shape } });

interface Validation {
  valid: boolean;
  errors: { path: string; message: string }[];
}

describe('CSV and IDX datasets are checked at validate and train time', () => {
  let server: TestServer;
  let schemaPath: string;
  before(async () => {
    server = await startTestServer();
    mkdirSync(join(server.dir, 'models', 'data'), { recursive: true });
    copyFileSync(join(examples, 'data', 'iris.csv'), join(server.dir, 'models', 'data', 'iris.csv'));
    schemaPath = join(server.dir, 'models', 'iris.stitch.json');
    writeFileSync(schemaPath, JSON.stringify(iris));
    // Random pixels so the gzip is larger than the header block the server reads (the prefix path).
    const big = gzipSync(idxBytes([300, 28, 28], () => Math.floor(Math.random() * 256)));
    assert.ok(big.length > 100_000);
    writeFileSync(join(server.dir, 'models', 'data', 'imgs.gz'), big);
    writeFileSync(join(server.dir, 'models', 'data', 'lbls'), mnistLike(300).labels);
  });
  after(() => server.stop());

  const validate = async (schema: unknown, path?: string): Promise<Validation> => {
    const response = await server.api('/api/validate', { method: 'POST', json: { schema, schemaPath: path } });
    assert.equal(response.status, 200);
    return (await response.json()) as Validation;
  };

  test('iris with its real input shape validates', async () => {
    const result = await validate(iris, schemaPath);
    assert.deepEqual(result.errors, []);
    assert.equal(result.valid, true);
  });

  test('iris with input [5] is invalid at input.shape (validate) and a 422 naming the path (train)', async () => {
    const wrong = withShape(iris, [5]);
    const result = await validate(wrong, schemaPath);
    assert.equal(result.valid, false);
    const error = result.errors.find((e) => e.path === 'input.shape');
    assert.ok(error, JSON.stringify(result.errors));
    assert.match(error.message, /\[4\]/);

    const train = await server.api('/api/train', { method: 'POST', json: { schema: wrong, schemaPath } });
    assert.equal(train.status, 422);
    const body = (await train.json()) as { error: string };
    assert.match(body.error, /input\.shape: .*\[4\]/);
    const runs = (await (await server.api('/api/runs')).json()) as { runs: unknown[] };
    assert.equal(runs.runs.length, 0, 'no run was queued');
  });

  test('dataset paths follow schemaPath: without it they resolve against the workspace root', async () => {
    // From the root, "data/iris.csv" does not exist: the header cannot be read, so the shape is not judged
    // here (the run would report the missing file); with schemaPath the same schema is found wrong.
    const wrong = withShape(iris, [5]);
    assert.equal((await validate(wrong)).valid, true);
    assert.equal((await validate(wrong, schemaPath)).valid, false);
    const outside = await server.api('/api/validate', { method: 'POST', json: { schema: wrong, schemaPath: '/etc/iris.stitch.json' } });
    assert.equal(outside.status, 400);
    assert.match(((await outside.json()) as { error: string }).error, /outside the workspace/);
  });

  test('an IDX dataset (gzipped) is checked against its image dimensions', async () => {
    const schema = {
      version: 1,
      input: { shape: [784] },
      layers: [{ id: 'out', type: 'dense', units: 10, activation: 'softmax' }],
      training: { dataset: { idx: { images: 'data/imgs.gz', labels: 'data/lbls' } }, epochs: 1, batchSize: 16 },
    };
    assert.equal((await validate(schema, schemaPath)).valid, true, 'the flat [784] fits [28, 28, 1]');
    assert.equal((await validate(withShape(schema, [28, 28, 1]), schemaPath)).valid, true);
    const wrong = await validate(withShape(schema, [100]), schemaPath);
    assert.equal(wrong.valid, false);
    assert.match(wrong.errors.find((e) => e.path === 'input.shape')?.message ?? '', /\[28, 28, 1\]/);
  });
});
