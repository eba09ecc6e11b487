/**
 * Bench only (skipped unless STITCH_BENCH_OUT is set; `node scripts/e2e/run.mjs --bench=FILE` sets it and
 * runs this file alone, in a fresh window): the extension's activation time, and the time from opening a
 * 200-layer schema to its diagnostics being set, measured in the real extension host. Writes JSON to FILE.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { SchemaDiagnostics } from '../../../src/extension/diagnostics';
import { makeLargeSchemaText } from '../../../src/shared/schema/large';
import { stitch, stitchDiagnostics, workspaceFile } from './helpers';

const LAYERS = 200;

/**
 * Resolves with the time Stitch next sets `uri`'s diagnostics (an empty set counts: the analysis finished).
 * Not `languages.onDidChangeDiagnostics`: VS Code batches it (50 ms) and the JSON extension fires it too.
 */
function nextDiagnostics(diagnostics: SchemaDiagnostics, uri: vscode.Uri): Promise<number> {
  return new Promise((resolve) => {
    const listener = diagnostics.onDidSet((set) => {
      if (set.toString() === uri.toString()) {
        listener.dispose();
        resolve(performance.now());
      }
    });
  });
}

/**
 * Opens a new file with `text` and returns ms from the open request to its diagnostics being set. (The
 * extension analyzes synchronously when the document reaches the extension host, so most of this is VS
 * Code bringing the document over; the bench prints the plain analysis time beside it.)
 */
async function openAndTime(
  diagnostics: SchemaDiagnostics,
  name: string,
  text: string,
): Promise<{ ms: number; uri: vscode.Uri }> {
  const uri = workspaceFile(name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const started = performance.now();
  const set = nextDiagnostics(diagnostics, uri);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
  return { ms: (await set) - started, uri };
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
    const cold = await openAndTime(api.diagnostics, 'bench-0.stitch.json', text);
    assert.deepEqual(stitchDiagnostics(cold.uri), [], 'the large schema is valid');
    const warm: number[] = [];
    for (let i = 1; i <= 5; i++) warm.push((await openAndTime(api.diagnostics, `bench-${i}.stitch.json`, text)).ms);
    // One error at the end of the file: the diagnostic must be there, at its range.
    const brokenText = text.replace(/"units": 2,(?![\s\S]*"units": 2,)/, '"units": -2,');
    const broken = await openAndTime(api.diagnostics, 'bench-broken.stitch.json', brokenText);
    const problems = stitchDiagnostics(broken.uri);
    assert.equal(problems.length, 1, JSON.stringify(problems.map((d) => d.message)));
    // A keystroke: diagnostics after the edit, including the 150 ms debounce.
    const editor = vscode.window.activeTextEditor!;
    const edited = nextDiagnostics(api.diagnostics, broken.uri);
    const typed = performance.now();
    await editor.edit((e) => e.insert(new vscode.Position(1, 0), ' '));
    const editMs = (await edited) - typed;

    const figures = {
      layers: LAYERS,
      bytes: text.length,
      vscode: vscode.version,
      activationMs: api.activationMs,
      firstDiagnosticsMs: cold.ms,
      warmDiagnosticsMs: median(warm),
      brokenDiagnosticsMs: broken.ms,
      editToDiagnosticsMs: editMs,
    };
    console.log(`      ${JSON.stringify(figures)}`);
    writeFileSync(process.env.STITCH_BENCH_OUT!, JSON.stringify(figures, null, 2) + '\n');
    for (let i = 0; i <= 5; i++) await vscode.workspace.fs.delete(workspaceFile(`bench-${i}.stitch.json`));
  });
});
