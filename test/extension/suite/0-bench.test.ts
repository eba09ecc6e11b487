/**
 * Bench only (skipped unless STITCH_BENCH_OUT is set; `node scripts/e2e/run.mjs --bench=FILE` sets it and
 * runs this file alone, in a fresh window): the extension's activation time, and the time from opening a
 * 200-layer schema to its diagnostics being set, measured in the real extension host. Writes JSON to FILE.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { makeLargeSchemaText } from '../../../src/shared/schema/large';
import { stitch, stitchDiagnostics, workspaceFile } from './helpers';

const LAYERS = 200;

/** Resolves with the time `uri`'s diagnostics are next set (an empty set counts: the analysis finished). */
function nextDiagnostics(uri: vscode.Uri): Promise<number> {
  return new Promise((resolve) => {
    const listener = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) {
        listener.dispose();
        resolve(performance.now());
      }
    });
  });
}

/**
 * Opens a new file with `text`: ms from the open request to its diagnostics (what a person waits), and from
 * the document reaching the extension host (onDidOpenTextDocument) to its diagnostics (the extension's part).
 */
async function openAndTime(name: string, text: string): Promise<{ ms: number; hostMs: number; uri: vscode.Uri }> {
  const uri = workspaceFile(name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  let opened = 0;
  const onOpen = vscode.workspace.onDidOpenTextDocument((d) => {
    if (d.uri.toString() === uri.toString() && !opened) opened = performance.now();
  });
  const started = performance.now();
  const set = nextDiagnostics(uri);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
  const done = await set;
  onOpen.dispose();
  return { ms: done - started, hostMs: done - opened, uri };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('bench (extension)', function () {
  this.timeout(120_000);
  before(function () {
    if (!process.env.STITCH_BENCH_OUT) this.skip();
  });

  it(`measures activation and time to first diagnostics on a ${LAYERS}-layer schema`, async () => {
    const api = await stitch();
    const text = makeLargeSchemaText(LAYERS);
    // The first open is cold (the analysis code's first run in this process); then warm opens of new files.
    const cold = await openAndTime('bench-0.stitch.json', text);
    assert.deepEqual(stitchDiagnostics(cold.uri), [], 'the large schema is valid');
    const warm: { ms: number; hostMs: number }[] = [];
    for (let i = 1; i <= 5; i++) warm.push(await openAndTime(`bench-${i}.stitch.json`, text));
    // One error at the end of the file: the diagnostic must be there, at its range.
    const brokenText = text.replace(/"units": 2,(?![\s\S]*"units": 2,)/, '"units": -2,');
    const broken = await openAndTime('bench-broken.stitch.json', brokenText);
    const problems = stitchDiagnostics(broken.uri);
    assert.equal(problems.length, 1, JSON.stringify(problems.map((d) => d.message)));
    // A keystroke: diagnostics after the edit, including the 150 ms debounce.
    const editor = vscode.window.activeTextEditor!;
    const edited = nextDiagnostics(broken.uri);
    const typed = performance.now();
    await editor.edit((e) => e.insert(new vscode.Position(1, 0), ' '));
    const editMs = (await edited) - typed;

    const figures = {
      layers: LAYERS,
      bytes: text.length,
      vscode: vscode.version,
      activationMs: api.activationMs,
      firstDiagnosticsMs: cold.ms,
      firstDiagnosticsHostMs: cold.hostMs,
      warmDiagnosticsMs: median(warm.map((w) => w.ms)),
      warmDiagnosticsHostMs: median(warm.map((w) => w.hostMs)),
      brokenDiagnosticsMs: broken.ms,
      brokenDiagnosticsHostMs: broken.hostMs,
      editToDiagnosticsMs: editMs,
    };
    console.log(`      ${JSON.stringify(figures)}`);
    writeFileSync(process.env.STITCH_BENCH_OUT!, JSON.stringify(figures, null, 2) + '\n');
    for (let i = 0; i <= 5; i++) await vscode.workspace.fs.delete(workspaceFile(`bench-${i}.stitch.json`));
  });
});
