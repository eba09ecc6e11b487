/**
 * The original Stitch's chat against our server, as its frontend calls it: from a page on another loopback
 * origin, cross-origin with a preflight and no token, its canvas graph in `currentSchema`, and proposals it
 * can apply coming back as a laid-out graph. The model is the local fake provider behind the real SDK,
 * reached through the server's own OPENAI_API_KEY / OPENAI_BASE_URL (the original sends neither).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { graphToSchema, type OriginalGraph } from '../../../src/shared/originalGraph';
import { FakeOpenAI, proposalAnswer, tokens } from '../../support/fakeOpenAI';
import { startTestServer, type TestServer } from '../serverHarness';
import { CHAIN, mnistCanvas } from './canvas';
import { chat, sequence, textOf, type ReceivedEvent } from './helpers';

const ENV_KEY = 'sk-env-original-7a1c';

/** The canvas as our schema, with conv filters 16 and a new dense layer between the dropout and the output. */
function widerProposal(): Record<string, unknown> {
  const { schema } = graphToSchema(mnistCanvas());
  const layers = schema.layers.map((l) => (l.id === 'conv-8b41' ? { ...l, filters: 16 } : l));
  layers.splice(5, 0, { id: 'dense-extra', type: 'dense', units: 32, activation: 'relu' });
  return { ...schema, layers };
}

/** A page on another loopback origin (another port), as the original's dev server is. */
function startPageServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>stitchy</title>'),
    );
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The graph-format events of a turn, with the proposal typed. */
function proposalOf(events: ReceivedEvent[]): OriginalGraph {
  const schema = events.find((e) => e.event === 'schema');
  assert.ok(schema, `no schema event in ${sequence(events).join(', ')}`);
  return (schema.data as unknown as { proposedSchema: OriginalGraph }).proposedSchema;
}

describe("the original frontend's chat", () => {
  let fake: FakeOpenAI;
  let server: TestServer;
  before(async () => {
    fake = await FakeOpenAI.start();
    // As `stitch serve --port 8080` with the key in its environment: no token, the env's endpoint.
    server = await startTestServer({
      chat: { env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: fake.url }, timeoutMs: 5_000 },
    });
  });
  after(async () => {
    await server.stop();
    await fake.close();
  });

  test('a page on another loopback origin streams the answer cross-origin and gets a graph it can apply', async () => {
    fake.script({ kind: 'stream', chunks: tokens(proposalAnswer(widerProposal()), 40), delayMs: 25 });
    const page = await startPageServer();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      // The original's request: JSON (so the browser sends a preflight), no token, no key, read as a stream.
      const body = { message: 'Make it a bit bigger', currentSchema: mnistCanvas(), requestSchemaChange: true };
      const events = await tab.evaluate<ReceivedEvent[]>(`(async () => {
        const response = await fetch(${JSON.stringify(`${server.url}/api/chat`)}, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(body))},
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const events = [];
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\\n\\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(frame);
            const data = /^data: (.*)$/m.exec(frame);
            if (event && data) events.push({ event: event[1], data: JSON.parse(data[1]), at: performance.now() });
          }
        }
        return events;
      })()`);

      assert.deepEqual(sequence(events), ['token', 'schema', 'done']);
      const tokenTimes = events.filter((e) => e.event === 'token').map((e) => e.at);
      assert.ok(tokenTimes.length > 10);
      assert.ok(tokenTimes.at(-1)! - tokenTimes[0] > 200, 'tokens arrive as the model sends them, not all at the end');
      assert.match(textOf(events), /Here is a wider version/);
      assert.deepEqual(events.at(-1)?.data, {});
      assert.ok(
        server.logs.some((l) => l.startsWith('OPTIONS /api/chat 204')),
        'the preflight was answered',
      );

      const graph = proposalOf(events);
      const order = [...CHAIN.slice(0, 6), 'dense-extra', ...CHAIN.slice(6)];
      assert.deepEqual(Object.keys(graph.layers), order);
      assert.deepEqual(
        order.map((id) => graph.layers[id].position),
        order.map((_, i) => ({ x: i * 300, y: 200 })),
      );
      const canvas = mnistCanvas();
      for (const id of CHAIN.filter((i) => i !== 'conv-8b41'))
        assert.deepEqual(graph.layers[id].params, canvas.layers[id].params, id);
      assert.deepEqual(graph.layers['conv-8b41'].params, { ...canvas.layers['conv-8b41'].params, filters: 16 });
      assert.deepEqual(graph.layers['dense-extra'], {
        id: 'dense-extra',
        kind: 'Dense',
        params: { units: 32, activation: 'relu' },
        position: { x: 1800, y: 200 },
      });
      assert.deepEqual(
        graph.edges.map((e) => [e.source, e.target]),
        order.slice(1).map((id, i) => [order[i], id]),
      );
      assert.equal(graph.edges[0].id, 'e1', 'unchanged edges keep their ids');
      // And back: the proposal converts to the schema the model proposed.
      assert.deepEqual(graphToSchema(graph).schema.layers, widerProposal().layers);

      const request = fake.requests.at(-1)!;
      assert.equal(request.headers.authorization, `Bearer ${ENV_KEY}`);
      const system = request.body.messages[0].content;
      assert.match(
        system,
        /"id":"conv-8b41","type":"conv2d","filters":8,"kernelSize":3/,
        'the model sees the canvas as our schema',
      );
      assert.match(system, /original Stitch web app/);
      assert.match(system, /asked for a change to the canvas/);
    } finally {
      await browser.close();
      page.close();
    }
  });

  test('a proposal the canvas cannot show is repaired; one in the graph format is converted too', async () => {
    const { schema } = graphToSchema(mnistCanvas());
    const withBatchNorm = {
      ...schema,
      layers: [schema.layers[0], { id: 'bn', type: 'batchNormalization' }, ...schema.layers.slice(1)],
    };
    const graphAnswer = mnistCanvas();
    graphAnswer.layers['dense-19c2'].params = { units: 128, activation: 'tanh' };
    fake.script(
      { kind: 'stream', chunks: [proposalAnswer(withBatchNorm)] },
      { kind: 'stream', chunks: [proposalAnswer(graphAnswer)] },
    );
    const events = await chat(
      server,
      { message: 'Add batch normalization', currentSchema: mnistCanvas(), requestSchemaChange: true },
      { apiKey: null },
    );
    assert.deepEqual(sequence(events), ['token', 'schema', 'done']);
    assert.match(
      fake.requests.at(-1)!.body.messages.at(-1)!.content,
      /layers\[1\]\.type: "batchNormalization" has no layer on the original canvas/,
    );
    const graph = proposalOf(events);
    assert.deepEqual(Object.keys(graph.layers), CHAIN);
    assert.deepEqual(graph.layers['dense-19c2'].params, { units: 128, activation: 'tanh' });
    assert.deepEqual(graph.layers['output-7f3a'].position, { x: 1800, y: 200 });
  });

  test('a proposal still unusable after the repair is described, not offered; done is {}', async () => {
    const { schema } = graphToSchema(mnistCanvas());
    const bad = {
      ...schema,
      layers: [...schema.layers.slice(0, 5), { id: 'out', type: 'dense', units: 10, activation: 'sigmoid' }],
    };
    fake.script({ kind: 'stream', chunks: [proposalAnswer(bad)] }, { kind: 'stream', chunks: [proposalAnswer(bad)] });
    const events = await chat(
      server,
      { message: 'Use sigmoid', currentSchema: mnistCanvas(), requestSchemaChange: true },
      { apiKey: null },
    );
    assert.deepEqual(sequence(events), ['token', 'done']);
    assert.match(
      textOf(events),
      /not offered to apply[\s\S]*layers\[5\]\.activation: the canvas Output layer is a softmax classifier/,
    );
    assert.deepEqual(events.at(-1)?.data, {});
  });

  test('a question without a canvas (requestSchemaChange false, currentSchema null) is answered as text', async () => {
    fake.script({ kind: 'stream', chunks: ['Dropout ', 'randomly zeroes ', 'activations.'] });
    const events = await chat(
      server,
      { message: 'What is dropout?', currentSchema: null, requestSchemaChange: false },
      { apiKey: null },
    );
    assert.deepEqual(sequence(events), ['token', 'done']);
    assert.deepEqual(events.at(-1)?.data, {});
    const system = fake.requests.at(-1)!.body.messages[0].content;
    assert.match(system, /Current schema: none/);
    assert.doesNotMatch(system, /asked for a change/);
  });

  test("the canvas's own problems reach the model at the canvas's paths", async () => {
    const canvas = mnistCanvas();
    canvas.edges = canvas.edges.filter((e) => e.target !== 'output-7f3a');
    fake.script({ kind: 'stream', chunks: ['Connect the output.'] });
    await chat(
      server,
      { message: 'Why can I not train?', currentSchema: canvas, requestSchemaChange: false },
      { apiKey: null },
    );
    const system = fake.requests.at(-1)!.body.messages[0].content;
    assert.match(
      system,
      /Problems of the canvas itself[\s\S]*- layers\["output-7f3a"\]: "output-7f3a" is not connected/,
    );
  });

  test('a canvas over 256 KB is refused with 413 before anything goes upstream', async () => {
    const canvas = mnistCanvas();
    const dense = canvas.layers['dense-19c2'];
    // 3,000 copies of a dense node: ~300 KB of graph, more than any canvas the original app draws.
    for (let i = 0; i < 3_000; i++) canvas.layers[`dense-copy-${i}`] = { ...dense, params: { ...dense.params } };
    const requests = fake.requests.length;
    const response = await server.api('/api/chat', {
      method: 'POST',
      json: { message: 'Make it wider', currentSchema: canvas, requestSchemaChange: true },
    });
    assert.equal(response.status, 413);
    assert.match(
      ((await response.json()) as { error: string }).error,
      /^currentSchema: the canvas graph is \d+ KB, more than the 256 KB a canvas may send; remove layers$/,
    );
    assert.equal(fake.requests.length, requests);
  });
});
