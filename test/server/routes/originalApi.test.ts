/**
 * The original Stitch's API, route by route, with its field names: its documented body and the bodies its
 * frontend builds train to `succeeded` with their hyperparameters, every answer has its shape, the model
 * catalog works in both save workflows, and each error it returned (400/404/409/415/422) comes back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelDetail, ModelSummary, RunDetail, StateEvent, TrainingEvent } from '../../../src/shared/protocol';
import { readEvents, startTestServer, waitForState, type TestServer } from '../serverHarness';
import { DENSE_ONLY, DOCUMENTED_BODY, FRONTEND_CNN } from '../../shared/originalBodies';

/** Small and fast: the documented hyperparameters with few MNIST samples, one epoch and a small test split. */
const FAST = { epochs: 1, max_samples: 256, test_samples: 64 };

type Json = Record<string, unknown>;

describe('the original Stitch API', () => {
  let server: TestServer;
  const post = async (path: string, json: unknown) => {
    const response = await server.api(path, { method: 'POST', json });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const get = async <T>(path: string) => (await (await server.api(path)).json()) as T;
  const finalState = (events: TrainingEvent[]): StateEvent => {
    const last = events.at(-1);
    assert.ok(last?.event === 'state');
    return last.data;
  };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  test('its documented body, its frontend CNN and a dense-only network each train to succeeded, hyperparameters kept', async () => {
    const bodies = [
      { architecture: DOCUMENTED_BODY.architecture, hyperparams: { ...DOCUMENTED_BODY.hyperparams, ...FAST } },
      {
        architecture: FRONTEND_CNN,
        hyperparams: {
          ...FAST,
          max_samples: 128,
          batch_size: 32,
          optimizer: { type: 'adam', lr: 0.003 },
          loss: 'cross_entropy',
          train_split: 0.75,
          shuffle: false,
          seed: 4,
        },
      },
      {
        architecture: DENSE_ONLY,
        hyperparams: { ...FAST, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 }, shuffle: true, seed: 9 },
      },
    ];
    const started = [];
    for (const body of bodies) {
      const { status, body: answer } = await post('/api/train', body);
      assert.equal(status, 202, JSON.stringify(answer));
      const runId = String(answer.run_id);
      assert.deepEqual(answer, {
        run_id: runId,
        status: 'queued',
        created_at: answer.created_at,
        epochs_total: 1,
        metrics: [],
        test_accuracy: null,
        events_url: `/api/runs/${runId}/events`,
        model_id: null,
      });
      assert.ok(!Number.isNaN(Date.parse(String(answer.created_at))));
      started.push(runId);
    }
    const expected = [
      {
        learningRate: 0.1,
        momentum: undefined,
        type: 'sgd',
        validationSplit: 0.1,
        shuffle: true,
        batchSize: 64,
        maxSamples: 256,
      },
      {
        learningRate: 0.003,
        momentum: undefined,
        type: 'adam',
        validationSplit: 0.25,
        shuffle: false,
        batchSize: 32,
        maxSamples: 128,
      },
      {
        learningRate: 0.05,
        momentum: 0.9,
        type: 'sgd',
        validationSplit: 0.1,
        shuffle: true,
        batchSize: 64,
        maxSamples: 256,
      },
    ];
    for (const [i, runId] of started.entries()) {
      assert.equal(
        await waitForState(server, runId, ['succeeded', 'failed'], 120_000),
        'succeeded',
        server.logs.join('\n'),
      );
      const run = await get<RunDetail>(`/api/runs/${runId}`);
      const training = run.schema.training;
      const optimizer = typeof training?.optimizer === 'object' ? training.optimizer : undefined;
      assert.deepEqual(
        {
          learningRate: optimizer?.learningRate,
          momentum: optimizer?.momentum,
          type: optimizer?.type,
          validationSplit: training?.validationSplit,
          shuffle: training?.shuffle,
          batchSize: training?.batchSize,
          maxSamples: training?.maxSamples,
        },
        expected[i],
      );
      const events = await readEvents(server, runId);
      const metrics = events.flatMap((e) => (e.event === 'metric' ? [e.data] : []));
      assert.equal(metrics.length, 1);
      assert.equal(metrics[0].run_id, runId, 'metric events carry run_id');
      assert.equal(metrics[0].learning_rate, expected[i].learningRate);
      assert.ok(metrics[0].val_accuracy !== null, 'train_split gives a validation split');
      const state = finalState(events);
      assert.equal(state.state, 'succeeded');
      assert.equal(typeof state.test_accuracy, 'number');
      assert.equal(state.test_accuracy, state.test?.accuracy);
      assert.equal(state.sample_predictions?.length, 8);
      for (const sample of state.sample_predictions ?? []) {
        assert.deepEqual(Object.keys(sample).sort(), ['confidence', 'grid', 'label', 'prediction']);
        assert.equal(sample.grid.length, 28);
        assert.ok(
          sample.grid.every((row) => row.length === 28 && row.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)),
        );
        assert.ok(sample.label >= 0 && sample.label < 10 && sample.prediction >= 0 && sample.prediction < 10);
        assert.ok(sample.confidence > 0 && sample.confidence <= 1);
      }
    }
  });

  test('a second run while one trains is queued (202), and cancel answers 202 { run_id, status: "cancelling" }', async () => {
    const long = { architecture: DENSE_ONLY, hyperparams: { epochs: 200, max_samples: 4096 } };
    const first = await post('/api/train', long);
    const second = await post('/api/train', long);
    assert.deepEqual([first.status, second.status, second.body.status], [202, 202, 'queued']);
    for (const { body } of [second, first]) {
      const cancel = await post(`/api/train/${String(body.run_id)}/cancel`, {});
      assert.equal(cancel.status, 202);
      assert.deepEqual(
        { run_id: cancel.body.run_id, status: cancel.body.status },
        { run_id: body.run_id, status: 'cancelling' },
      );
    }
    assert.equal(
      await waitForState(server, String(first.body.run_id), ['cancelled', 'failed', 'succeeded']),
      'cancelled',
    );
    const again = await post(`/api/train/${String(first.body.run_id)}/cancel`, {});
    assert.equal(again.status, 409);
  });

  test("the model catalog: create 201 / update 200, bare-array list, a train body's model_id, both save workflows, infer", async () => {
    const created = await post('/api/models', {
      name: 'digits',
      description: 'an MLP',
      architecture: DENSE_ONLY,
      hyperparams: { ...FAST },
    });
    assert.equal(created.status, 201);
    const modelId = String(created.body.model_id);
    assert.match(modelId, /^m_[0-9a-f]+$/);
    assert.deepEqual(created.body, {
      ...created.body,
      name: 'digits',
      description: 'an MLP',
      architecture: DENSE_ONLY,
      trained: false,
      saved_model_path: null,
      saved_model_exists: false,
      last_trained_at: null,
      runs_total: 0,
      highest_accuracy: null,
    });
    const updated = await post('/api/models', { model_id: modelId, name: 'digits v2' });
    assert.deepEqual(
      [updated.status, updated.body.model_id, updated.body.name, updated.body.description],
      [200, modelId, 'digits v2', 'an MLP'],
    );

    // A train body that names only the model trains its stored definition; the run belongs to the model.
    const train = await post('/api/train', { model_id: modelId });
    assert.equal(train.status, 202);
    assert.equal(train.body.model_id, modelId);
    const runId = String(train.body.run_id);
    assert.equal(await waitForState(server, runId, ['succeeded', 'failed'], 60_000), 'succeeded');
    const infer409 = await post('/api/infer', { model_id: modelId, pixels: new Array(784).fill(0) });
    assert.equal(infer409.status, 409, 'a model without a promoted run has no weights yet');

    const promoted = await post(`/api/models/${modelId}/save`, { run_id: runId });
    assert.equal(promoted.status, 200);
    assert.deepEqual(
      [promoted.body.trained, promoted.body.saved_model_exists, promoted.body.runs_total, promoted.body.name],
      [true, true, 1, 'digits v2'],
    );
    assert.equal(typeof promoted.body.saved_model_path, 'string');
    assert.equal(typeof promoted.body.highest_accuracy, 'number');
    assert.equal(typeof promoted.body.last_trained_at, 'string');

    const list = await get<ModelSummary[]>('/api/models');
    assert.ok(Array.isArray(list));
    const summaryKeys = [
      'model_id',
      'name',
      'description',
      'architecture',
      'hyperparams',
      'created_at',
      'trained',
      'saved_model_path',
      'saved_model_exists',
      'last_trained_at',
      'runs_total',
      'highest_accuracy',
    ];
    for (const key of summaryKeys) assert.ok(key in list[0], key);
    const detail = await get<ModelDetail>(`/api/models/${modelId}`);
    assert.deepEqual(
      detail.runs.map((r) => [r.run_id, r.state, r.metrics.length]),
      [[runId, 'succeeded', 1]],
    );

    const pixels = Array.from({ length: 784 }, (_, i) => (i % 28 > 10 && i % 28 < 16 ? 255 : 0));
    const infer = await post('/api/infer', { model_id: modelId, pixels });
    assert.equal(infer.status, 200);
    assert.equal(infer.body.run_id, runId);
    assert.equal((infer.body.probabilities as number[]).length, 10);
    assert.equal(
      infer.body.label,
      (infer.body.probabilities as number[]).indexOf(Math.max(...(infer.body.probabilities as number[]))),
    );
    const byRun = await post('/api/infer', { run_id: runId, pixels });
    assert.deepEqual(byRun.body, infer.body);
    for (const bad of [[1e308], ['NaN'], [-1], [Number.MAX_VALUE]]) {
      const answer = await post('/api/infer', { run_id: runId, pixels: [...bad, ...new Array(783).fill(0)] });
      assert.equal(answer.status, 400, JSON.stringify(bad));
    }
    assert.equal((await post('/api/infer', { run_id: runId, inputs: [1e39, ...new Array(783).fill(0)] })).status, 400);

    // "Save model" form: a new model from a run (201); storing a new definition makes a model untrained again.
    const saved = await post('/api/models/save', { run_id: runId, name: 'from the form', description: 'kept' });
    assert.equal(saved.status, 201);
    assert.notEqual(saved.body.model_id, modelId);
    assert.deepEqual(
      [saved.body.name, saved.body.trained, saved.body.architecture],
      ['from the form', true, DENSE_ONLY],
    );
    const redefined = await post(`/api/models/${modelId}/save`, {
      architecture: DOCUMENTED_BODY.architecture,
      hyperparams: FAST,
    });
    assert.deepEqual(
      [redefined.status, redefined.body.trained, redefined.body.architecture],
      [200, false, DOCUMENTED_BODY.architecture],
    );
  });

  test('every error the original returned: 400, 404, 409, 415, 422, each with a message', async () => {
    const cases: [number, string, unknown][] = [
      [400, '/api/train', [1, 2]],
      [400, '/api/models/save', { run_id: 'x' }],
      [400, '/api/models', { model_id: 7 }],
      [400, '/api/infer', { run_id: 'x' }],
      [404, '/api/train/nope/cancel', {}],
      [404, '/api/train', { model_id: 'm_nope', architecture: DENSE_ONLY }],
      [404, '/api/models/m_nope/save', { run_id: 'x' }],
      [404, '/api/models/save', { run_id: 'nope', name: 'n' }],
      [404, '/api/infer', { model_id: 'nope', pixels: [0] }],
      [422, '/api/train', { architecture: { layers: [{ type: 'conv3d' }] }, hyperparams: {} }],
      [422, '/api/train', { architecture: DENSE_ONLY, hyperparams: { loss: 'hinge' } }],
      [422, '/api/models', { name: 'broken', architecture: { layers: [{ type: 'linear', out: -1 }] } }],
    ];
    for (const [status, path, body] of cases) {
      const answer = await post(path, body);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
      assert.equal(typeof answer.body.error, 'string');
    }
    const loss = await post('/api/train', { architecture: DENSE_ONLY, hyperparams: { loss: 'hinge' } });
    assert.match(String(loss.body.error), /hyperparams\.loss: unknown loss "hinge"; use "cross_entropy"/);
    const running = await post('/api/train', {
      architecture: DENSE_ONLY,
      hyperparams: { epochs: 200, max_samples: 4096 },
    });
    const notDone = await post('/api/models/save', { run_id: running.body.run_id, name: 'too early' });
    assert.equal(notDone.status, 409);
    await post(`/api/train/${String(running.body.run_id)}/cancel`, {});
    const form = await server.api('/api/train', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'epochs=5',
    });
    assert.equal(form.status, 415);
    assert.match(((await form.json()) as { error: string }).error, /application\/x-www-form-urlencoded; send JSON/);
    assert.ok(
      !server.logs.some((l) => l.startsWith('internal error')),
      server.logs.filter((l) => l.startsWith('internal')).join('\n'),
    );
  });
});
