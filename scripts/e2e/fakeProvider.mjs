// A local OpenAI-compatible chat provider for the e2e run (what a user's Ollama would be): it answers
// `POST /v1/chat/completions` with a streamed reply that proposes the XOR fixture with a dropout layer.
// run.mjs puts its URL into code-server's *User* settings as `stitch.chat.baseUrl`; the webview smoke then
// checks the chat reached it (a User value of a setting must apply in a remote window: docs/extension.md).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export async function startFakeProvider(root) {
  const xor = JSON.parse(fs.readFileSync(path.join(root, 'test/extension/fixtures/xor.stitch.json'), 'utf8'));
  const proposed = { ...xor, layers: [xor.layers[0], { id: 'dropout1', type: 'dropout', rate: 0.2 }, xor.layers[1]] };
  const reply = [
    'Adding a **dropout** layer after `hidden` regularises the model.\n\n',
    '```json\n',
    JSON.stringify(proposed, null, 2),
    '\n```\n',
  ];
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (b) => (body += b));
    req.on('end', () => {
      requests.push({ url: req.url, body: JSON.parse(body || '{}') });
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error' } }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const model = requests.at(-1).body.model ?? 'fake';
      const chunk = (delta, finish) =>
        `data: ${JSON.stringify({
          id: 'chatcmpl-e2e',
          object: 'chat.completion.chunk',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        })}\n\n`;
      reply.forEach((content, i) => res.write(chunk({ ...(i === 0 ? { role: 'assistant' } : {}), content }, null)));
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}
