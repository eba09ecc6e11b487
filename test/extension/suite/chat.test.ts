/**
 * The AI chat inside VS Code: ChatService streams a turn through the spawned server to a fake
 * OpenAI-compatible provider (the real openai SDK in the server), and reviewProposal applies the proposal
 * through the real diff and ONE WorkspaceEdit that one Undo reverts. Only the Accept/Reject click is
 * injected.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ChatStreamEvent } from '../../../src/shared/protocol';
import { FakeOpenAI, proposalAnswer, tokens } from '../../support/fakeOpenAI';
import type { StitchApi } from '../../../src/extension/extension';
import { stitch, workspaceFile } from './helpers';

const KEY = 'sk-e2e-chat-key-1234';
/** review.ts's scheme (importing it would bundle jsonc-parser's UMD build into the suite, which cannot load). */
const PROPOSAL_SCHEME = 'stitch-proposal';

async function reviewProposal(
  ...args: Parameters<StitchApi['services']['chat']['review']>
): Promise<'applied' | 'rejected'> {
  return (await stitch()).services.chat.review(...args);
}

/** Four-space indentation, one-line layers, a comment and a layout: all of it must survive a proposal. */
const ORIGINAL = `{
    // edited by hand
    "version": 1,
    "name": "chat-xor",
    "input": { "shape": [2] },
    "layers": [
        { "id": "hidden", "type": "dense", "units": 8, "activation": "relu" },
        { "id": "out", "type": "dense", "units": 2, "activation": "softmax" }
    ],
    "training": { "dataset": { "name": "xor", "samples": 100 }, "epochs": 1, "batchSize": 32 },
    "layout": { "hidden": { "x": 10, "y": 20 }, "out": { "x": 10, "y": 120 } }
}
`;

const PROPOSED = {
  version: 1,
  name: 'chat-xor',
  input: { shape: [2] },
  layers: [
    { id: 'hidden', type: 'dense', units: 32, activation: 'relu' },
    { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
  ],
  training: { dataset: { name: 'xor', samples: 100 }, epochs: 1, batchSize: 32 },
};

async function collect(stream: AsyncGenerator<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const diffTabs = (): vscode.Tab[] =>
  vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PROPOSAL_SCHEME);

describe('AI chat', function () {
  this.timeout(60_000);
  let fake: FakeOpenAI;
  let document: vscode.TextDocument;
  const uri = workspaceFile('chat-xor.stitch.json');
  const config = () => vscode.workspace.getConfiguration('stitch.chat');

  before(async () => {
    fake = await FakeOpenAI.start();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(ORIGINAL));
    document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const api = await stitch();
    await api.services.secrets.delete('openaiApiKey');
    // A fresh server (earlier suites may leave it crashed), started without any key in its environment.
    await vscode.commands.executeCommand('stitch.restartServer');
  });

  after(async () => {
    const api = await stitch();
    await api.services.secrets.delete('openaiApiKey');
    await config().update('baseUrl', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(uri);
    await fake.close();
  });

  it('says plainly when no API key is set (code no-key, naming the command)', async () => {
    const api = await stitch();
    const events = await collect(api.services.chat.send(document, 'hello'));
    assert.equal(events.length, 1);
    const [error] = events;
    assert.equal(error.type, 'error');
    assert.equal(error.type === 'error' && error.code, 'no-key');
    assert.match(error.type === 'error' ? error.error : '', /Stitch: Set OpenAI API Key/);
  });

  it('streams a proposal from the provider set in stitch.chat.baseUrl, with the key from SecretStorage', async () => {
    const api = await stitch();
    await api.services.secrets.set('openaiApiKey', KEY);
    await config().update('baseUrl', fake.url, vscode.ConfigurationTarget.Global);
    fake.script({ kind: 'stream', chunks: tokens(proposalAnswer(PROPOSED, 'A wider hidden layer.'), 16) });
    const events = await collect(api.services.chat.send(document, 'Make the hidden layer wider'));
    assert.deepEqual([...new Set(events.map((e) => e.type))], ['token', 'schema', 'done']);
    const schema = events.find((e) => e.type === 'schema');
    assert.deepEqual(schema, { type: 'schema', proposedSchema: PROPOSED, valid: true, errors: [] });
    const request = fake.requests.at(-1)!;
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.equal(request.body.model, 'gpt-4.1');
    assert.match(request.body.messages[0].content, /"units":8/, 'the prompt carries the document');
    assert.equal(api.services.chat.history(uri).length, 2);
  });

  it("sends the file's history on the next turn", async () => {
    const api = await stitch();
    fake.script({ kind: 'stream', chunks: ['It would have 130 parameters.'] });
    await collect(api.services.chat.send(document, 'How many parameters then?'));
    const messages = fake.requests.at(-1)!.body.messages.map((m) => m.role);
    assert.deepEqual(messages, ['system', 'user', 'assistant', 'user']);
    assert.match(fake.requests.at(-1)!.body.messages[2].content, /A wider hidden layer/);
    api.services.chat.clearHistory(uri);
    assert.equal(api.services.chat.history(uri).length, 0);
  });

  it('rejecting the diff leaves the file untouched and closes the diff', async () => {
    let sawDiff = false;
    const result = await reviewProposal(document, PROPOSED, {
      confirm: async () => {
        sawDiff = diffTabs().length === 1;
        return false;
      },
    });
    assert.equal(result, 'rejected');
    assert.ok(sawDiff, 'the diff was open while the user decided');
    assert.equal(document.getText(), ORIGINAL);
    assert.equal(document.isDirty, false);
    assert.equal(diffTabs().length, 0);
  });

  it('accepting applies ONE edit keeping formatting, comments and layout; one Undo restores the file', async () => {
    let diffText = '';
    const result = await reviewProposal(document, PROPOSED, {
      confirm: async () => {
        const input = diffTabs()[0]?.input as vscode.TabInputTextDiff | undefined;
        if (input) diffText = (await vscode.workspace.openTextDocument(input.modified)).getText();
        return true;
      },
    });
    assert.equal(result, 'applied');
    const expected = ORIGINAL.replace('"units": 8, "activation": "relu" }', '"units": 32, "activation": "relu" }');
    assert.equal(document.getText(), expected, 'only the changed value differs');
    assert.equal(diffText, expected, 'the diff showed exactly what was applied');
    assert.equal(diffTabs().length, 0);

    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), ORIGINAL, 'one Undo reverts the whole proposal');
  });

  it('an edit made while the diff is open updates the diff and asks again; what is applied is what was shown', async () => {
    const asked: { updated: boolean; shown: string }[] = [];
    const result = await reviewProposal(document, PROPOSED, {
      confirm: async (_document, updated) => {
        const input = diffTabs()[0]?.input as vscode.TabInputTextDiff | undefined;
        const shown = input ? (await vscode.workspace.openTextDocument(input.modified)).getText() : '';
        asked.push({ updated, shown });
        if (asked.length === 1) {
          // The user types in the schema while the notification waits.
          const edit = new vscode.WorkspaceEdit();
          const at = document.getText().indexOf('by hand') + 'by hand'.length;
          edit.insert(document.uri, document.positionAt(at), ', then more');
          assert.ok(await vscode.workspace.applyEdit(edit));
        }
        return true;
      },
    });
    assert.equal(result, 'applied');
    assert.deepEqual(
      asked.map((a) => a.updated),
      [false, true],
      'asked again after the edit',
    );
    assert.equal(asked[0].shown.includes('then more'), false);
    assert.equal(asked[1].shown.includes('// edited by hand, then more'), true, 'the diff shows the edit');
    assert.equal(document.getText(), asked[1].shown, 'applied what the diff showed last');
    assert.match(document.getText(), /"units": 32/);
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), ORIGINAL);
  });

  it("accepting after the file's own tab was closed shows the edited file (it is not left unsaved out of sight)", async () => {
    await vscode.window.showTextDocument(document);
    const ownTabs = () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === document.uri.toString());
    const result = await reviewProposal(document, PROPOSED, {
      confirm: async () => {
        await vscode.window.tabGroups.close(ownTabs());
        assert.equal(ownTabs().length, 0);
        return true;
      },
    });
    assert.equal(result, 'applied');
    assert.equal(ownTabs().length, 1, 'the file is open again, with the applied edit');
    assert.equal(document.isDirty, true);
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), ORIGINAL);
  });

  it('a proposal that adds a layer keeps the layout of the layers that stay and drops removed ones', async () => {
    const deeper = {
      ...PROPOSED,
      layers: [
        PROPOSED.layers[0],
        { id: 'drop', type: 'dropout', rate: 0.2 },
        { id: 'final', type: 'dense', units: 2, activation: 'softmax' },
      ],
    };
    assert.equal(await reviewProposal(document, deeper, { confirm: async () => true }), 'applied');
    const applied = JSON.parse(document.getText().replace('// edited by hand', '')) as {
      layers: { id: string }[];
      layout: Record<string, unknown>;
    };
    assert.deepEqual(
      applied.layers.map((l) => l.id),
      ['hidden', 'drop', 'final'],
    );
    assert.deepEqual(applied.layout, { hidden: { x: 10, y: 20 } });
    assert.match(
      document.getText(),
      /^ {8}\{ "id": "drop", "type": "dropout", "rate": 0.2 \},$/m,
      "a new layer in the file's one-line style",
    );
    assert.match(
      document.getText(),
      /^ {8}\{ "id": "hidden", "type": "dense", "units": 32, "activation": "relu" \},$/m,
    );
    assert.match(document.getText(), /^ {4}\/\/ edited by hand$/m);
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), ORIGINAL);
  });
  it('a turn that ends after Clear does not bring the cleared history back', async () => {
    const api = await stitch();
    api.services.chat.clearHistory(uri);
    fake.script({ kind: 'stream', chunks: ['one ', 'two ', 'three'], delayMs: 150 });
    const stream = api.services.chat.send(document, 'Count slowly');
    const first = await stream.next();
    assert.equal(first.value?.type, 'token');
    api.services.chat.clearHistory(uri);
    await collect(stream);
    assert.equal(api.services.chat.history(uri).length, 0, 'the late answer was dropped');
  });

  it('after a repair round, history holds the repaired schema, not the first invalid one', async () => {
    const api = await stitch();
    api.services.chat.clearHistory(uri);
    const broken = { ...PROPOSED, layers: [{ id: 'hidden', type: 'dense', activation: 'relu' }, PROPOSED.layers[1]] };
    fake.script(
      { kind: 'stream', chunks: [proposalAnswer(broken, 'Try this.')] },
      { kind: 'stream', chunks: [proposalAnswer(PROPOSED, 'Fixed.')] },
    );
    const events = await collect(api.services.chat.send(document, 'Make the hidden layer wider'));
    assert.deepEqual(
      events.find((e) => e.type === 'schema'),
      { type: 'schema', proposedSchema: PROPOSED, valid: true, errors: [] },
    );
    const answer = api.services.chat.history(uri)[1].content;
    assert.match(answer, /Try this\./);
    assert.ok(answer.includes(JSON.stringify(PROPOSED, null, 2)), answer);
    assert.doesNotMatch(answer, /asking the model to fix/);
    api.services.chat.clearHistory(uri);
  });

  it("the diff opens in the schema editor's column, not over the active one (the Stitch panel)", async () => {
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const other = await vscode.workspace.openTextDocument({ content: 'another editor', language: 'plaintext' });
    await vscode.window.showTextDocument(other, vscode.ViewColumn.Two);
    assert.equal(vscode.window.tabGroups.activeTabGroup.viewColumn, vscode.ViewColumn.Two);
    let column: vscode.ViewColumn | undefined;
    await reviewProposal(document, PROPOSED, {
      confirm: async () => {
        column = vscode.window.tabGroups.all.find((g) =>
          g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PROPOSAL_SCHEME),
        )?.viewColumn;
        return false;
      },
    });
    await vscode.window.showTextDocument(other, vscode.ViewColumn.Two);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.equal(column, vscode.ViewColumn.One);
  });
});
