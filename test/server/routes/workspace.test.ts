/**
 * A server for a multi-root workspace (one `--workspace` per folder): a schema in any folder is accepted,
 * its dataset paths resolve and stay inside that folder, and a schema outside every folder is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../serverHarness';

const examples = join(__dirname, '../../../examples');
const iris = JSON.parse(readFileSync(join(examples, 'iris.stitch.json'), 'utf8')) as Record<string, unknown>;

let server: TestServer;
let first: string;
let second: string;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-roots-'));
  first = join(dir, 'first');
  second = join(dir, 'second');
  for (const folder of [first, second]) mkdirSync(join(folder, 'data'), { recursive: true });
  copyFileSync(join(examples, 'data', 'iris.csv'), join(second, 'data', 'iris.csv'));
  writeFileSync(join(second, 'iris.stitch.json'), JSON.stringify(iris));
  server = await startTestServer({ dir, workspaceRoot: [first, second] });
});
after(() => server.stop());

async function validate(
  schema: unknown,
  schemaPath: string,
): Promise<{
  status: number;
  body: { valid?: boolean; errors?: { path: string; message: string }[]; error?: string };
}> {
  const response = await server.api('/api/validate', { method: 'POST', json: { schema, schemaPath } });
  return { status: response.status, body: (await response.json()) as never };
}

test('a schema in the second folder reads its CSV relative to itself', async () => {
  const ok = await validate(iris, join(second, 'iris.stitch.json'));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.errors, []);
  const wrong = await validate({ ...iris, input: { shape: [5] } }, join(second, 'iris.stitch.json'));
  assert.deepEqual(
    wrong.body.errors?.map((e) => e.path),
    ['input.shape'],
  );
});

test('dataset paths stay inside the folder of the schema, and a schema outside every folder is refused', async () => {
  const training = iris.training as Record<string, unknown>;
  const crossing = {
    ...iris,
    training: { ...training, dataset: { csv: '../second/data/iris.csv', label: 'species' } },
  };
  const result = await validate(crossing, join(first, 'iris.stitch.json'));
  assert.deepEqual(
    result.body.errors?.map((e) => e.path),
    ['training.dataset.csv'],
  );
  assert.match(result.body.errors?.[0].message ?? '', /outside the workspace/);
  const outside = await validate(iris, join(tmpdir(), 'elsewhere', 'iris.stitch.json'));
  assert.equal(outside.status, 400);
  assert.match(outside.body.error ?? '', /outside the workspace \(.*first, .*second\)/);
});
