// The webview steps of the e2e run (called from run.mjs with its page and helpers), in a real VS Code:
//  1. open examples/mnist-cnn.stitch.json in the visual editor; read the node count and shapes from the graph;
//     the graph fills the editor, every node is visible at a zoom where node text is >= 11 px, also after
//     zooming in and pressing Fit;
//  2. add layers from the palette: without a selection before the output layer, after a selected node, and
//     dragged onto an edge: wired in, selected, visible; the text document changes; Ctrl+Z → gone again;
//  3. edit the text (find/replace) → the graph shows the new shape;
//  4. train the tiny XOR schema from the editor's Train button → the metrics panel's charts receive points;
//     runs are numbered and timed; the long run cancelled in its first epoch shows alone, with chart points
//     in the default per-epoch mode;
//  5. the chat reaches the provider set as a *User* setting (stitch.chat.baseUrl) and shows its proposal as
//     a compact card with Apply;
//  6. Developer: Reload Window → the visual editor and the panel come back with their content;
//  7. screenshots in Light, Dark and High Contrast (test-artifacts/webview-*.png); in each, the selected
//     chart mode differs from the other and "succeeded" contrasts with its background;
//  8. crowding (issue 12, item 6): Show Training Metrics never opens a third column, and no progress toast
//     stays up during a run (progress is in the status bar item; lifecycleChecks.mjs checks its text and
//     cancels from its menu); the finish toast labels the test accuracy.
// Each state of the design pass is also captured in Light, Dark and High Contrast as
// test-artifacts/<prefix>-<theme>-<state>.png (editor, fit, palette, epoch1, placement, chat); the prefix is
// STITCH_E2E_SHOTS, "after" by default ("0" skips them), beside the committed before-* set (docs/screenshots/before).
import fs from 'node:fs';
import path from 'node:path';
import { contrastOf, reloadWindow, setTheme, THEMES, webviewFrame } from './uiHelpers.mjs';

/** The graph's size against the page, its zoom, fully visible nodes and the smallest node text on screen. */
function graphLayout(frame) {
  return frame.evaluate(() => {
    const svg = document.querySelector('svg.graph');
    const r = svg.getBoundingClientRect();
    const zoom = Number(svg.dataset.zoom);
    const sizes = [...svg.querySelectorAll('g.node text')]
      .filter((t) => t.textContent)
      .map((t) => parseFloat(getComputedStyle(t).fontSize));
    return {
      width: r.width,
      height: r.height,
      pageWidth: innerWidth,
      pageHeight: innerHeight,
      zoom,
      visible: Number(svg.dataset.visibleNodes),
      nodes: svg.querySelectorAll('g.node').length,
      minText: Math.min(...sizes) * zoom,
    };
  });
}

/** `state` in each theme kind, when STITCH_E2E_SHOTS names a prefix; ends in Dark Modern (the default). */
async function themedShots(page, pick, sleep, artifacts, state) {
  // "after" by default: the design pass's shots beside the committed "before" set (run.mjs copies it in);
  // STITCH_E2E_SHOTS=0 skips them.
  const prefix = process.env.STITCH_E2E_SHOTS ?? 'after';
  if (prefix === '0') return;
  for (const [theme, file] of THEMES) {
    await setTheme(page, pick, sleep, theme);
    await page.screenshot({ path: path.join(artifacts, `${prefix}-${file}-${state}.png`) });
  }
}

/** The editor columns on screen (VS Code's editor groups). */
const editorColumns = (page) => page.locator('.part.editor .editor-group-container').count();

export async function webviewSmoke({ page, pick, log, check, sleep, waitFor, artifacts, workspace, root, provider }) {
  const started = Date.now();
  fs.copyFileSync(path.join(root, 'examples/mnist-cnn.stitch.json'), path.join(workspace, 'mnist-cnn.stitch.json'));
  await pick('Control+P', 'mnist-cnn.stitch.json', 'mnist-cnn.stitch.json');
  await page.locator('.tabs-container .tab', { hasText: 'mnist-cnn.stitch.json' }).first().waitFor({ timeout: 20000 });
  // The 1400×900 window of the issue, without the bottom panel (Ctrl+J toggles it).
  if (
    await page
      .locator('.part.panel')
      .isVisible()
      .catch(() => false)
  ) {
    await page.keyboard.press('Control+J');
    log('closed the bottom panel (Ctrl+J)');
  }
  await pick('F1', '>Stitch: Open Visual Editor', 'Stitch: Open Visual Editor');
  let editor = await webviewFrame(page, 'svg.graph g.node.layer', waitFor, 'the visual editor graph');
  const nodes = editor.locator('g.node.layer');
  const count = await nodes.count();
  const shapes = await editor.locator('g.node.layer text.shape').allTextContents();
  check(count === 7, `visual editor shows ${count} layer nodes (mnist-cnn has 7)`);
  check(
    shapes[0] === '→ [26, 26, 32]' && shapes.at(-1) === '→ [10]',
    `shapes from the schema core: ${shapes.join(' ')}`,
  );
  check(
    (await editor.locator('g.node.output').count()) === 1 && (await editor.locator('g.node.input').count()) === 1,
    'model input and output marked',
  );
  await page.screenshot({ path: path.join(artifacts, 'webview-editor-open.png') });
  const shots = (state) => themedShots(page, pick, sleep, artifacts, state);
  await shots('editor');

  // 1b. the graph takes the editor's area; all 8 nodes (7 layers + input) visible with text >= 11 px
  // All nodes show unless the editor is too short for them at readable text (then the zoom is at that floor).
  const READABLE_ZOOM = 11 / 13;
  const opened = await waitFor(
    async () => {
      const l = await graphLayout(editor);
      return l.zoom > 0 && (l.visible === 8 || Math.abs(l.zoom - READABLE_ZOOM) < 0.01) ? l : undefined;
    },
    'the graph fitted after opening',
    10000,
  );
  check(
    opened.width >= 0.95 * opened.pageWidth && opened.height >= 0.8 * opened.pageHeight,
    `the graph fills the visual editor: ${Math.round(opened.width)}×${Math.round(opened.height)} of ${opened.pageWidth}×${opened.pageHeight}`,
  );
  check(
    opened.minText >= 11 && opened.visible === 8,
    `after opening: zoom ${opened.zoom}, ${opened.visible}/${opened.nodes} nodes visible, smallest node text ${opened.minText.toFixed(1)} px`,
  );
  const tool = (label) => editor.locator(`vscode-toolbar-button[label="${label}"]`);
  for (let i = 0; i < 3; i++) await tool('Zoom in').click();
  await waitFor(async () => (await graphLayout(editor)).visible < 8, 'zooming in to hide some nodes', 5000);
  await tool('Fit view').click();
  const fitted = await waitFor(
    async () => {
      const l = await graphLayout(editor);
      return l.visible === 8 ? l : undefined;
    },
    'Fit to show every node',
    5000,
  );
  check(
    fitted.minText >= 11,
    `Fit view: ${fitted.visible}/${fitted.nodes} nodes visible at zoom ${fitted.zoom}, node text ${fitted.minText.toFixed(1)} px`,
  );
  await shots('fit');
  // The inspector is a side panel that collapses and opens again.
  const inspector = editor.locator('.side-panel.inspector');
  const inspectorWasOpen = await inspector.isVisible();
  await tool('Show or hide the inspector').click();
  await waitFor(async () => (await inspector.isVisible()) !== inspectorWasOpen, 'the inspector to toggle', 5000);
  await tool('Show or hide the inspector').click();
  await waitFor(async () => (await inspector.isVisible()) === inspectorWasOpen, 'the inspector to toggle back', 5000);
  check(true, 'the inspector panel collapses and opens from the toolbar');

  // 2. palette → document → undo. Without a selection the layer goes before the output layer, wired in,
  // selected and in view.
  const textLines = page.locator('.editor-group-container .monaco-editor .view-lines').first();
  const undo = async (what) => {
    await editor.locator('svg.graph').focus();
    await page.keyboard.press('Control+Z');
    await waitFor(async () => (await nodes.count()) === 7, `Ctrl+Z to remove ${what}`, 10000);
  };
  const edge = (from, to) => editor.locator(`path.edge-hit[data-from="${from}"][data-to="${to}"]`);
  // The toasts of the runs above sit over the lower half of the editor (where the palette's last groups are):
  // clear them, and find layers with the palette's search, which lists the match at the top.
  const clearToasts = () =>
    pick('F1', '>Notifications: Clear All Notifications', 'Notifications: Clear All Notifications');
  await clearToasts();
  const paletteItem = async (type) => {
    await editor.locator('.palette-search').fill(type);
    const item = editor.locator(`.palette-item[data-type="${type}"]`);
    await item.waitFor({ state: 'visible', timeout: 5000 });
    return item;
  };
  await (await paletteItem('dropout')).click();
  await waitFor(async () => (await nodes.count()) === 8, 'a node for the added dropout layer');
  await waitFor(
    async () => /dropout1/.test(await textLines.innerText()),
    'the text document to show "dropout1"',
    10000,
  );
  check(true, 'palette click added layer "dropout1" to the text document');
  await waitFor(
    async () => (await editor.locator('g.node.selected[data-id="dropout1"]').count()) === 1,
    'the added layer to be selected',
    5000,
  );
  check(
    (await edge('dropout1', 'out').count()) === 1 && (await edge('drop', 'dropout1').count()) === 1,
    'without a selection the palette inserts before the output layer: drop → dropout1 → out',
  );
  const inView = await editor.evaluate(() => {
    const svg = document.querySelector('svg.graph').getBoundingClientRect();
    const palette = document.querySelector('.side-panel.palette:not([hidden])')?.getBoundingClientRect();
    const n = document.querySelector('g.node[data-id="dropout1"] rect.body').getBoundingClientRect();
    return (
      n.top >= svg.top &&
      n.bottom <= svg.bottom &&
      n.right <= svg.right &&
      n.left >= (palette ? palette.right : svg.left)
    );
  });
  check(inView, 'the inserted layer is selected and in view (not under the palette)');
  await shots('palette');
  await undo('the added node');
  check(!/dropout1/.test(await textLines.innerText()), 'Ctrl+Z in the visual editor undid the edit in the document');
  // After a selected node.
  await editor.locator('g.node[data-id="conv1"] rect.body').click();
  await (await paletteItem('batchNormalization')).click();
  await waitFor(
    async () => (await edge('batchNormalization1', 'pool1').count()) === 1,
    'batchNormalization1 after conv1',
    10000,
  );
  check(
    (await edge('conv1', 'batchNormalization1').count()) === 1 &&
      (await editor.locator('g.node.selected[data-id="batchNormalization1"]').count()) === 1,
    'with conv1 selected the palette inserts after it: conv1 → batchNormalization1 → pool1, selected',
  );
  await undo('batchNormalization1');
  // Dragged onto an edge.
  // The edge's own box is zero wide (a straight vertical path): aim at the middle of the gap between the nodes.
  const gap = await editor.evaluate(() => {
    const svg = document.querySelector('svg.graph').getBoundingClientRect();
    const a = document.querySelector('g.node[data-id="pool2"] rect.body').getBoundingClientRect();
    const b = document.querySelector('g.node[data-id="flat"] rect.body').getBoundingClientRect();
    return { x: (a.left + a.right) / 2 - svg.left, y: (a.bottom + b.top) / 2 - svg.top };
  });
  await (await paletteItem('dropout')).dragTo(editor.locator('svg.graph'), { targetPosition: gap });
  await waitFor(
    async () => (await edge('dropout1', 'flat').count()) === 1,
    'dropout1 dropped into the edge pool2 → flat',
    10000,
  );
  check(
    (await edge('pool2', 'dropout1').count()) === 1,
    'a palette item dropped onto an edge is inserted into it: pool2 → dropout1 → flat',
  );
  await undo('the dropped layer');
  await editor.locator('.palette-search').fill('');
  check(
    (await editor.locator('.palette-item:not([hidden])').count()) >= 14,
    'clearing the palette search lists every layer again',
  );

  // 3. text → graph: in the text editor, go to conv2's `64` (Go to Line/Column), select it and type 48
  const source = fs.readFileSync(path.join(workspace, 'mnist-cnn.stitch.json'), 'utf8').split('\n');
  const line = source.findIndex((l) => l.includes('"id": "conv2"'));
  const column = source[line].indexOf('"filters": 64') + '"filters": '.length + 1;
  await page.locator('.tabs-container .tab', { hasText: 'mnist-cnn.stitch.json' }).first().click();
  await page.keyboard.press('Control+G');
  const goTo = page.locator('.quick-input-widget input');
  await goTo.waitFor({ state: 'visible', timeout: 5000 });
  await goTo.fill(`:${line + 1}:${column}`);
  await sleep(200);
  await page.keyboard.press('Enter');
  await goTo.waitFor({ state: 'hidden', timeout: 5000 });
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.type('48');
  await waitFor(
    async () => (await editor.locator('g.node.layer text.shape').allTextContents()).includes('→ [11, 11, 48]'),
    'the graph to show conv2 with 48 filters',
    10000,
  );
  check(true, 'text edit shown in the graph at once (conv2 → [11, 11, 48])');
  await page.screenshot({ path: path.join(artifacts, 'webview-editor.png') });

  // 4. train the tiny XOR schema from its visual editor; the metrics panel receives points
  await pick('Control+P', 'xor.stitch.json', 'xor.stitch.json');
  await pick('F1', '>Stitch: Open Visual Editor', 'Stitch: Open Visual Editor');
  const xor = await webviewFrame(
    page,
    'body[data-version] .toolbar .title:text("xor-tiny")',
    waitFor,
    'the XOR visual editor',
  );
  const columnsBefore = await editorColumns(page);
  await xor.locator('#train').click();
  log('clicked Train in the visual editor');
  await sleep(300);
  await pick('F1', '>Stitch: Show Training Metrics', 'Stitch: Show Training Metrics');
  const metrics = await webviewFrame(page, '.metrics', waitFor, 'the metrics panel', 60000);
  const columns = await editorColumns(page);
  check(
    columns <= Math.max(2, columnsBefore),
    `Show Training Metrics opened no third column: ${columnsBefore} → ${columns} editor columns`,
  );
  // The long run's status-bar progress and the absence of its toast are checked in lifecycleChecks.mjs; this
  // tiny run may be over already, so here only: no progress toast over the panel that just opened.
  const progressToasts = await page
    .locator('.notifications-toasts .notification-toast', { hasText: /training xor-tiny|epoch \d/ })
    .count();
  check(progressToasts === 0, 'no progress toast over the panel while the run trains');
  await waitFor(
    async () => Number(await metrics.locator('.metrics').getAttribute('data-points')) > 0,
    'chart points',
    60000,
  );
  await waitFor(
    async () => /succeeded/i.test(await metrics.locator('.run-state').first().innerText()),
    'the run to succeed',
    90000,
  );
  const points = Number(await metrics.locator('.metrics').getAttribute('data-points'));
  check(points > 0, `metrics charts received ${points} points; run succeeded`);
  const status = await page.locator('.part.statusbar .statusbar-item', { hasText: 'Stitch' }).first().innerText();
  check(/xor-tiny test accuracy \d/.test(status), `the status bar shows the labelled result: "${status.trim()}"`);
  await page.screenshot({ path: path.join(artifacts, 'webview-metrics.png') });
  // Runs are told apart: a number, a relative start time with the local time on hover.
  const names = await metrics.locator('.run-item .run-name').allTextContents();
  check(names.length >= 2 && names.every((n) => /^#\d+ /.test(n)), `runs are numbered: ${names.join(', ')}`);
  check(
    /^started /.test(await metrics.locator('.run-item .run-when').first().getAttribute('title')),
    'each run shows when it started (local time on hover)',
  );
  // The long run was cancelled during its first epoch: shown alone, per epoch (the default), it has points.
  await metrics.locator('.run-item .run-name', { hasText: 'spiral-long' }).first().click();
  await waitFor(
    async () => /cancelled/i.test(await metrics.locator('.run-state').first().innerText()),
    'the cancelled run to show',
    20000,
  );
  check((await metrics.locator('.run-item.shown').count()) === 1, 'opening a run shows it alone');
  check(
    (await metrics.locator('.mode[data-mode="epoch"][aria-checked="true"]').count()) === 1,
    'the charts are in the default per-epoch mode',
  );
  const lossPoints = await waitFor(
    async () => Number(await metrics.locator('.chart[aria-label="Loss"]').getAttribute('data-points')) || undefined,
    'loss points of the run cancelled in epoch 1',
    20000,
  );
  check(
    lossPoints > 0,
    `per epoch, a run stopped during epoch 1 shows ${lossPoints} loss points (its batches, in epoch units)`,
  );
  await page.screenshot({ path: path.join(artifacts, 'webview-metrics-epoch1.png') });
  await shots('epoch1');
  await metrics.locator('.run-item .run-name', { hasText: 'xor-tiny' }).first().click();

  await pick('F1', '>Stitch: Show Training Metrics', 'Stitch: Show Training Metrics');
  await shots('placement');

  // 6. reload: the visual editor and the panel come back.
  // Reload the way a user does (Developer: Reload Window): the workbench then saves its editor layout before
  // the page goes. A browser-level page.reload() only fires `beforeunload`, and VS Code for the Web cannot
  // finish saving the layout there: the window came back from an older save, without the panel.
  // The palette's row is sometimes clicked while the list re-renders and the command does not run (seen in
  // about half the runs after the webview steps): try again, up to three times, before calling it a failure.
  await reloadWindow(page, pick, log);
  const restoredFrame = async (selector, what, tab) => {
    try {
      return await webviewFrame(page, selector, waitFor, what, 20000);
    } catch {
      // Blank after 20 s: its script request was lost when code-server's shared webview service worker was
      // replaced (docs/webview.md). The panel reloads its own page; the editor has no such watchdog yet, so
      // showing its tab again recreates the frame, and the page restores from its saved state.
      log(`${what}: blank after 20 s (code-server webview service-worker race); showing its tab again`);
      await page.locator('.tabs-container .tab', { hasText: tab }).last().click();
      await page.keyboard.press('Control+PageUp');
      await sleep(300);
      await page.keyboard.press('Control+PageDown');
      return webviewFrame(page, selector, waitFor, what, 40000);
    }
  };
  editor = await restoredFrame('svg.graph g.node.layer', 'the visual editor after a reload', 'xor.stitch.json');
  check((await editor.locator('g.node.layer').count()) === 2, 'visual editor restored after reloading the window');
  // No fallback here: a panel page that does not load is loaded again by StitchPanel itself (see `load` there).
  const restored = await webviewFrame(
    page,
    '.metrics[data-points]',
    waitFor,
    'the metrics panel after a reload',
    30000,
  );
  check(true, 'metrics panel restored by its serializer after reloading the window');
  await waitFor(
    async () => Number(await restored.locator('.metrics').getAttribute('data-points')) > 0,
    'restored chart points',
    30000,
  );
  check(true, "metrics panel shows the finished run's full history after the reload");
  await page.screenshot({ path: path.join(artifacts, 'webview-restored.png') });

  // 7. themes, switched the way a user does (Preferences: Color Theme): every state reads in each
  for (const [theme, file] of [
    ['Light Modern', 'light'],
    ['Dark Modern', 'dark'],
    ['Dark High Contrast', 'hc'],
  ]) {
    await setTheme(page, pick, sleep, theme);
    await page.screenshot({ path: path.join(artifacts, `webview-${file}.png`) });
    const modes = await restored.evaluate(() =>
      [...document.querySelectorAll('.mode-switch .mode')].map((b) => {
        const c = getComputedStyle(b);
        return `${c.backgroundColor}|${c.outlineStyle}|${c.outlineColor}|${c.fontWeight}`;
      }),
    );
    check(
      modes.length === 2 && modes[0] !== modes[1],
      `${theme}: the selected chart mode looks different from the other`,
    );
    const contrast = await contrastOf(restored, '.run-state.state-succeeded');
    check(contrast >= 3, `${theme}: "succeeded" has contrast ${contrast.toFixed(1)}:1 against the background`);
  }
  check(true, 'screenshots in Light, Dark and High Contrast saved (test-artifacts/webview-{light,dark,hc}.png)');
  // 8. the chat reaches the provider of the User setting stitch.chat.baseUrl (code-server is a remote window).
  // Last: a reload after a chat turn did not navigate within 30 s in code-server (cause not found).
  await clearToasts();
  // After the reload the panel has the focus and no schema editor is active: the chat must still work on the
  // schema editor on screen (xor.stitch.json's visual editor), not answer "Open a *.stitch.json file first".
  await pick('F1', '>Stitch: Open Chat', 'Stitch: Open Chat');
  await page.locator('.tabs-container .tab', { hasText: 'Stitch' }).last().click();
  const chat = await webviewFrame(page, '.chat vscode-textarea', waitFor, 'the chat tab');
  await chat.locator('.chat vscode-textarea textarea').fill('add a dropout layer');
  await chat.locator('.chat vscode-textarea textarea').press('Enter');
  await waitFor(
    async () => provider.requests.length > 0,
    'the chat request at the provider of the User setting',
    30000,
  );
  check(
    !(await chat.locator('.chat').innerText()).includes('Open a *.stitch.json file first'),
    'with the panel focused after the reload, the chat works on the schema editor on screen',
  );
  check(
    provider.requests[0].body.model === 'e2e-fake',
    `the chat reached ${provider.url} (User setting stitch.chat.baseUrl) with the User setting's model`,
  );
  const card = chat.locator('.proposal');
  await card.waitFor({ timeout: 30000 });
  const summary = await card.locator('.proposal-diff').innerText();
  check(
    /dropout1 \(dropout\) between hidden and out/.test(summary),
    `the proposal is a change summary: ${summary.trim()}`,
  );
  const delta = await card.locator('.proposal-params').innerText();
  check(
    /^[\d,]+ → [\d,]+ params \([+−±][\d,]+\)$/.test(delta.trim()),
    `the proposal shows the parameter delta: ${delta.trim()}`,
  );
  check(await card.locator('vscode-button', { hasText: 'Apply' }).isVisible(), 'Apply is visible');
  check(
    !(await chat.locator('.chat-body').last().innerText()).includes('"layers"'),
    "the proposal's JSON is not printed in the message",
  );
  await page.screenshot({ path: path.join(artifacts, 'webview-chat.png') });
  await shots('chat');
  log(`webview steps took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
