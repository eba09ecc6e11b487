/**
 * The HTML shell of Stitch's webviews: a strict Content Security Policy (scripts only with this page's
 * nonce, styles and fonts only from the bundle directory), the bundle's CSS and script, and which view to
 * boot. `localResourceRoots` is limited to `dist/webview` so the page can load nothing else from disk.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type WebviewKind = 'editor' | 'panel' | 'compare';

/** The only folder webviews may load files from. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)] };
}

export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  kind: WebviewKind,
  title: string,
): string {
  const nonce = randomBytes(16).toString('base64');
  const root = webviewRoot(extensionUri);
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    // No 'unsafe-inline': Lit (inside @vscode-elements) adopts constructed style sheets and our code sets
    // styles through the CSSOM (element.style), neither of which style-src restricts.
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${asset('uPlot.min.css')}">
<link rel="stylesheet" href="${asset('webview.css')}">
<link rel="stylesheet" href="${asset('views.css')}">
<title>${escapeHtml(title)}</title>
</head>
<body data-view="${kind}">
<div id="app" role="application" aria-label="${escapeHtml(title)}"></div>
<script nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
