import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTraining } from '../src/server/training/runTraining';
import { throughputSchema } from './measure';
const root = join(__dirname, '..');
const name = process.argv[2] ?? 'mnist-mlp';
const samples = Number(process.argv[3] ?? 3200);
const schema = throughputSchema(JSON.parse(readFileSync(join(root, 'examples', `${name}.stitch.json`), 'utf8')), samples);
void runTraining({ type: 'start', runId: 'x', schema, schemaDir: root, workspaceRoot: root, modelDir: '/tmp/p14/model', dataCacheDir: '/tmp/p14/data', datasetBaseUrl: null, backend: 'wasm', threads: Number(process.env.T ?? 1) },
  (m) => { if (m.type === 'log' || m.type === 'backend' || m.type === 'metric' || m.type === 'succeeded' || m.type === 'failed') console.log(JSON.stringify(m).slice(0, 300)); },
  new AbortController().signal).then(() => { const c = process.cpuUsage(); console.log('cpu user s', c.user / 1e6); });
