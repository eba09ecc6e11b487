import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFixture, stitch, stitchDiagnostics, waitFor } from './helpers';

/**
 * Applies the first quick fix offered for `diagnostic` whose title matches `title`. Code actions get their
 * diagnostics from the workbench's markers, which trail the extension host's collection (a batched event
 * and a round trip to the window): ask again until the fix is offered.
 */
async function applyQuickFix(uri: vscode.Uri, diagnostic: vscode.Diagnostic, title: RegExp): Promise<string> {
  let actions: vscode.CodeAction[] = [];
  const ask = async () => {
    actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    return actions.find((a) => title.test(a.title));
  };
  const action = await waitFor(ask, `a quick fix matching ${title}`, 10_000).catch(() => undefined);
  assert.ok(action?.edit, `no quick fix matching ${title}; offered: ${actions.map((a) => a.title).join(', ')}`);
  assert.ok(await vscode.workspace.applyEdit(action.edit));
  return action.title;
}

describe('editing a schema', () => {
  before(() => stitch());

  it("puts the core's problems in the Problems panel at the exact ranges", async () => {
    const editor = await openFixture('broken.stitch.json');
    const { document } = editor;
    const diagnostics = await waitFor(() => {
      const d = stitchDiagnostics(document.uri);
      return d.length >= 3 ? d : undefined;
    }, 'diagnostics of broken.stitch.json');
    const at = (d: vscode.Diagnostic) => document.getText(d.range);
    const kernel = diagnostics.find((d) => d.code === 'kernel-too-large');
    assert.ok(
      kernel,
      `no kernel-too-large diagnostic: ${diagnostics.map((d) => `${d.code}: ${d.message}`).join(' | ')}`,
    );
    assert.equal(at(kernel), '30', 'the kernel size diagnostic must cover the value 30');
    assert.equal(kernel.range.start.line, 5);
    assert.equal(kernel.severity, vscode.DiagnosticSeverity.Error);
    const type = diagnostics.find((d) => d.code === 'unknown-layer-type');
    assert.ok(type);
    assert.equal(at(type), '"dens"');
    assert.ok(
      diagnostics.some((d) => d.code === 'missing-id'),
      'a layer without an id is reported',
    );
  });

  it('updates diagnostics as the text changes, and offers quick fixes that work', async () => {
    const editor = await openFixture('broken.stitch.json');
    const { document } = editor;
    const find = (code: string) => stitchDiagnostics(document.uri).find((d) => d.code === code);
    const type = await waitFor(() => find('unknown-layer-type'), 'unknown-layer-type');
    assert.match(await applyQuickFix(document.uri, type, /"dense"/), /Change to "dense"/);
    assert.match(document.getText(), /"type": "dense", "units": 10/);
    const missing = await waitFor(() => find('missing-id'), 'missing-id');
    await applyQuickFix(document.uri, missing, /Add "id"/);
    assert.match(document.getText(), /\{ "id": "dropout1", "type": "dropout"/);
    // Typing a fix for the kernel size clears its diagnostic after the debounce.
    const kernel = await waitFor(() => find('kernel-too-large'), 'kernel-too-large');
    await editor.edit((b) => b.replace(kernel.range, '3'));
    await waitFor(() => stitchDiagnostics(document.uri).length === 0 || undefined, 'all diagnostics to clear', 5000);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('shows a CodeLens above "layers" with Train, Open Editor and the parameter count', async () => {
    const { document } = await openFixture('cnn.stitch.json');
    const lenses = await waitFor(async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        document.uri,
        10,
      );
      return l.length ? l : undefined;
    }, 'code lenses');
    const titles = lenses.map((l) => l.command?.title);
    // conv2d 3×3×1×32 + 32 = 320, dense 13·13·32·10 + 10 = 54,090.
    assert.deepEqual(titles, ['▶ Train', 'Open Editor', `${(320 + 54090).toLocaleString('en-US')} params`]);
    assert.equal(document.lineAt(lenses[0].range.start.line).text.trim().startsWith('"layers"'), true);
    assert.equal(lenses[0].command?.command, 'stitch.train');
  });

  it("shows each layer's output shape as an inlay hint after the layer", async () => {
    const { document } = await openFixture('cnn.stitch.json');
    const all = new vscode.Range(0, 0, document.lineCount, 0);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      document.uri,
      all,
    );
    const labels = hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));
    assert.deepEqual(labels, ['→ [26, 26, 32]', '→ [13, 13, 32]', '→ [5408]', '→ [10]']);
    const pool = hints[1];
    assert.match(document.lineAt(pool.position.line).text, /"id": "pool1"/);
    assert.equal(
      document.lineAt(pool.position.line).text.slice(0, pool.position.character).trimEnd().endsWith('}'),
      true,
    );
  });

  it('hovers a layer type with its parameters and output shape', async () => {
    const { document } = await openFixture('cnn.stitch.json');
    const line = [...Array(document.lineCount).keys()].find((i) => document.lineAt(i).text.includes('"conv2d"'))!;
    const position = new vscode.Position(line, document.lineAt(line).text.indexOf('"conv2d"') + 3);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      document.uri,
      position,
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Output `\[26, 26, 32\]` · 320 params/);
    assert.match(text, /`filters` \(required\)/);
  });
});
