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
    // From the root, "data/iris.csv" does not exist, which is the problem reported; with schemaPath the file
    // is found and the shape is judged.
    const wrong = withShape(iris, [5]);
    const fromRoot = await validate(wrong);
    assert.deepEqual(
      fromRoot.errors.map((e) => e.path),
      ['training.dataset.csv'],
    );
    assert.match(fromRoot.errors[0].message, /"data\/iris\.csv" does not exist/);
    assert.deepEqual(
      (await validate(wrong, schemaPath)).errors.map((e) => e.path),
      ['input.shape'],
    );
    const outside = await server.api('/api/validate', {
      method: 'POST',
      json: { schema: wrong, schemaPath: '/etc/iris.stitch.json' },
    });
    assert.equal(outside.status, 400);
    assert.match(((await outside.json()) as { error: string }).error, /outside the workspace/);
  });

  test('a dataset file outside the workspace, or a label that is not a column, is a problem at its path', async () => {
    const training = iris.training as Record<string, unknown>;
    const escape = { ...iris, training: { ...training, dataset: { csv: '../../../../etc/passwd', label: 'species' } } };
    const outside = await validate(escape, schemaPath);
    assert.deepEqual(
      outside.errors.map((e) => e.path),
      ['training.dataset.csv'],
    );
    assert.match(outside.errors[0].message, /outside the workspace/);
    const train = await server.api('/api/train', { method: 'POST', json: { schema: escape, schemaPath } });
    assert.equal(train.status, 422);

    const noLabel = { ...iris, training: { ...training, dataset: { csv: 'data/iris.csv', label: 'kind' } } };
    const labelled = await validate(noLabel, schemaPath);
    assert.deepEqual(
      labelled.errors.map((e) => e.path),
      ['training.dataset.label'],
    );
    assert.match(
      labelled.errors[0].message,
      /"kind" is not a column .* sepal_length, sepal_width, petal_length, petal_width, species/,
    );
  });

  test('an IDX dataset (gzipped) is checked against its image dimensions', async () => {
    const schema = {
      version: 1,
      input: { shape: [784] },
      layers: [{ id: 'out', type: 'dense', units: 10, activation: 'softmax' }],
      training: { dataset: { idx: { images: 'data/imgs.gz', labels: 'data/lbls' } }, epochs: 1, batchSize: 16 },
    };
    assert.equal((await validate(schema, schemaPath)).valid, true, 'the flat [784] fits [28, 28, 1]');
    const image = { ...withShape(schema, [28, 28, 1]), layers: [{ id: 'flat', type: 'flatten' }, ...schema.layers] };
    assert.equal((await validate(image, schemaPath)).valid, true);
    const wrong = await validate(withShape(schema, [100]), schemaPath);
    assert.equal(wrong.valid, false);
    assert.match(wrong.errors.find((e) => e.path === 'input.shape')?.message ?? '', /\[28, 28, 1\]/);
  });
});
