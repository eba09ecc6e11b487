/**
 * WebviewHost (src/extension/webviewHost.ts) with the real pages in a real VS Code: both views say `ready`
 * through it, and a page that never loads is loaded again and then reported as failed (the watchdog).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type {
  EditorHostMessage,
  EditorWebviewMessage,
  PanelHostMessage,
  PanelWebviewMessage,
} from '../../../src/shared/webviewProtocol';
import { LOAD_ATTEMPTS, WebviewHost } from '../../../src/extension/webviewHost';
import { stitch, waitFor } from './helpers';

describe('webview host', function () {
  this.timeout(60_000);
  const log = vscode.window.createOutputChannel('Stitch host test', { log: true });
  const open: vscode.WebviewPanel[] = [];
  const panel = (title: string): vscode.WebviewPanel => {
    const created = vscode.window.createWebviewPanel('stitch.hostTest', title, vscode.ViewColumn.Active, {});
    open.push(created);
    return created;
  };
  afterEach(() => open.splice(0).forEach((p) => p.dispose()));
  after(() => log.dispose());

  // One page at a time, each visible and alone: in code-server, webviews that start together can race for
  // the shared service worker (docs/webview.md), which is what the watchdog is for, not what this tests.
  it('loads the panel page through the host; a message posted before ready is kept for it', async () => {
    const { extensionUri } = (await stitch()).services.context;
    let ready = 0;
    const host = new WebviewHost<PanelWebviewMessage, PanelHostMessage>(panel('host: panel'), {
      kind: 'panel',
      title: 'panel',
      extensionUri,
      log,
      onReady: () => void ready++,
      onMessage: () => undefined,
    });
    host.post({ type: 'focus', tab: 'chat' });
    await waitFor(() => host.isReady, 'the panel page to say ready', 25_000);
    assert.equal(ready, 1);
    // Closing the panel ends its host (no watchdog left to touch a disposed webview).
    open.splice(0).forEach((p) => p.dispose());
    host.post({ type: 'focus', tab: 'metrics' });
  });

  it('loads the visual editor page through the host', async function () {
    this.retries(1);
    const { extensionUri } = (await stitch()).services.context;
    const host = new WebviewHost<EditorWebviewMessage, EditorHostMessage>(panel('host: editor'), {
      kind: 'editor',
      title: 'editor',
      extensionUri,
      log,
      onReady: () => undefined,
      onMessage: () => undefined,
    });
    try {
      await waitFor(() => host.isReady, 'the editor page to say ready', 25_000);
    } finally {
      host.dispose();
    }
  });

  it('loads a page that never says ready again, then reports it as failed', async () => {
    // No bundle under this folder: the page's script never loads, so it never says ready.
    const extensionUri = vscode.Uri.file('/nonexistent-stitch-extension');
    let failed = 0;
    const started = Date.now();
    const host = new WebviewHost<PanelWebviewMessage, PanelHostMessage>(panel('host: broken'), {
      kind: 'panel',
      title: 'broken',
      extensionUri,
      log,
      onReady: () => assert.fail('a page without its script cannot say ready'),
      onMessage: () => undefined,
      onLoadFailed: () => void failed++,
    });
    try {
      await waitFor(() => failed > 0, 'the watchdog to give up', 35_000);
      assert.equal(failed, 1);
      assert.ok(Date.now() - started >= (LOAD_ATTEMPTS - 0.5) * 5000, 'after every load attempt');
    } finally {
      host.dispose();
    }
  });
});
