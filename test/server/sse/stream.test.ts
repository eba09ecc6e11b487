/**
 * A run's event stream as real clients see it: the `eventsource` package, fetch streams and a real
 * browser EventSource each receive every event of a run; a client that drops and reconnects with
 * Last-Event-ID a hundred times ends with exactly the server's list; finished runs replay and close;
 * idle streams get keep-alive comments.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { chromium } from 'playwright-core';
import type { TrainingEvent } from '../../../src/shared/protocol';
import { SseDecoder } from '../../../src/shared/sse/decoder';
import { toTrainingEvent } from '../../../src/shared/sse/training';
import { SseSession } from '../../../src/server/sse/session';
import { readEvents, spiralSchema, startTestServer, submit, type TestServer } from '../serverHarness';

const token = 'sse-token';

/** Follows a run with the `eventsource` package until its final state event. */
function followWithEventSource(url: string): Promise<TrainingEvent[]> {
  return new Promise((resolve, reject) => {
    const events: TrainingEvent[] = [];
    const es = new EventSource(url, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, Authorization: `Bearer ${token}` } }),
    });
    for (const name of ['state', 'metric', 'batch', 'evaluation']) {
      es.addEventListener(name, (e) => {
        const event = toTrainingEvent({ event: e.type, data: e.data, id: e.lastEventId })!;
        events.push(event);
        if (event.event === 'state' && ['succeeded', 'failed', 'cancelled'].includes(event.data.state)) {
          es.close();
          resolve(events);
        }
      });
    }
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) reject(new Error('the EventSource closed before the final state'));
    };
  });
}

/** A tiny loopback page for the browser: its origin is another loopback port, as a dev web page would be. */
function startPageServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>t</title>'),
    );
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('training event streams', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ token });
  });
  after(() => server.stop());

  test('eventsource, fetch and a browser EventSource each receive every event of a run', async () => {
    const page = await startPageServer();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      const runId = await submit(server, spiralSchema({ epochs: 4 }));
      const url = `${server.url}/api/runs/${runId}/events`;
      // Passed as text: the test's own `EventSource` import must not be substituted into the page's code.
      const browserEvents = tab.evaluate(`new Promise((resolve, reject) => {
        const events = [];
        const es = new EventSource(${JSON.stringify(`${url}?access_token=${token}`)});
        for (const name of ['state', 'metric', 'batch', 'evaluation']) {
          es.addEventListener(name, (e) => {
            const data = JSON.parse(e.data);
            events.push({ id: Number(e.lastEventId), event: name, data });
            if (name === 'state' && ['succeeded', 'failed', 'cancelled'].includes(data.state)) {
              es.close();
              resolve(events);
            }
          });
        }
        es.onerror = () => { if (es.readyState === EventSource.CLOSED) reject(new Error('browser EventSource closed')); };
      })`) as Promise<TrainingEvent[]>;
      const [viaEventSource, viaFetch, viaBrowser] = await Promise.all([
        followWithEventSource(url),
        readEvents(server, runId),
        browserEvents,
      ]);
      const all = await readEvents(server, runId); // replay of the finished run: the server's list
      assert.equal(all.at(-1)?.event, 'state');
      assert.deepEqual(
        all.map((e) => e.id),
        all.map((_, i) => i + 1),
        'ids increase by one from 1',
      );
      assert.equal(all.filter((e) => e.event === 'metric').length, 4);
      assert.deepEqual(viaEventSource, all);
      assert.deepEqual(viaFetch, all);
      assert.deepEqual(viaBrowser, all);
    } finally {
      await browser.close();
      page.close();
    }
  });

  test('a client that drops and reconnects 100 times with Last-Event-ID ends with exactly the server list', async () => {
    const runId = await submit(server, spiralSchema({ epochs: 30 }));
    const received: TrainingEvent[] = [];
    let connections = 0;
    let done = false;
    while (connections < 100 || !done) {
      connections++;
      const controller = new AbortController();
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      // Alternate the header and the query parameter: both must resume at the same place.
      const lastId = received.at(-1)?.id ?? 0;
      let url = `${server.url}/api/runs/${runId}/events`;
      if (connections % 2 === 0) headers['Last-Event-ID'] = String(lastId);
      else url += `?lastEventId=${lastId}`;
      const response = await fetch(url, { headers, signal: controller.signal });
      if (response.status === 204) {
        done = true; // finished and nothing new: the standard "stop reconnecting"
        continue;
      }
      assert.equal(response.status, 200);
      // Read until one new event arrived, then drop the connection mid-stream.
      const decoder = new SseDecoder();
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let got: TrainingEvent | undefined;
      while (!got) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        got = decoder
          .push(value)
          .map(toTrainingEvent)
          .find((e) => e !== undefined);
      }
      controller.abort();
      if (got) received.push(got);
      else done = true;
    }
    const all = await readEvents(server, runId);
    assert.ok(all.length > 20, `the run had ${all.length} events`);
    assert.deepEqual(received, all);
    assert.ok(connections >= 100);
  });

  test('a finished run replays from any id and closes; nothing new answers 204', async () => {
    const runId = ((await (await server.api('/api/runs')).json()) as { runs: { run_id: string }[] }).runs[0].run_id;
    const all = await readEvents(server, runId);
    assert.deepEqual(await readEvents(server, runId, 3), all.slice(3));
    const response = await server.api(`/api/runs/${runId}/events`, {
      headers: { 'Last-Event-ID': String(all.at(-1)!.id) },
    });
    assert.equal(response.status, 204);
  });
});

test('an idle stream gets keep-alive comments; a client that goes away ends the session', async () => {
  let session: SseSession | undefined;
  const closed = new Promise<void>((resolve) => {
    const http = createServer((req, res) => {
      session = new SseSession(req, res, { keepAliveMs: 40 });
      session.onClose(resolve);
    });
    http.listen(0, '127.0.0.1', async () => {
      const controller = new AbortController();
      const response = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`, {
        signal: controller.signal,
      });
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
      assert.equal(response.headers.get('x-accel-buffering'), 'no');
      const comments: string[] = [];
      const decoder = new SseDecoder((c) => comments.push(c));
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      while (comments.length < 3) decoder.push((await reader.read()).value ?? '');
      assert.deepEqual(comments, ['keep-alive', 'keep-alive', 'keep-alive']);
      controller.abort();
      http.close();
    });
  });
  await closed;
  assert.equal(session?.closed, true);
});
