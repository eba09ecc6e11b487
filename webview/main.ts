/**
 * The webview bundle's entry: registers VS Code's web components (@vscode-elements) and boots the view the
 * host asked for in `<body data-view>`: the visual editor, the metrics & chat panel, or Compare Runs.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { startCompare } from './compare/compareApp';
import { startEditor } from './editor/editorApp';
import { startPanel } from './panel/panelApp';

const app = document.getElementById('app')!;
if (document.body.dataset.view === 'panel') startPanel(app);
else if (document.body.dataset.view === 'compare') startCompare(app);
else startEditor(app);
