/**
 * The Stitch panel: four tabs, Metrics, Evaluate, Test and Chat. Its webview state (restored by the panel
 * serializer after a reload) holds only the open tab, the runs being charted and the run evaluated and
 * tested; the host replays those runs' events and sends that run's model view again, so everything comes
 * back without storing 100,000 points in the state.
 */
import type { PanelHostMessage, PanelTab, PanelWebviewMessage } from '../../src/shared/webviewProtocol';
import { PANEL_TABS } from '../../src/shared/webviewProtocol';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { ChatView } from '../chat/chatView';
import { MetricsView, type ChartViewState } from '../metrics/metricsView';
import { ModelTabs } from './modelTabs';

const TAB_TITLES: Record<PanelTab, string> = { metrics: 'Metrics', evaluate: 'Evaluate', test: 'Test', chat: 'Chat' };

interface PanelState {
  tab: PanelTab;
  runIds: string[];
  /** The run the Evaluate and Test tabs show (absent in states saved by older versions). */
  modelRunId?: string;
  /** The charts' mode and smoothing (absent in states saved by older versions). */
  charts?: ChartViewState;
}

export function startPanel(app: HTMLElement): void {
  const host = hostChannel<PanelHostMessage, PanelWebviewMessage, PanelState>();
  const state: PanelState = host.getState() ?? { tab: 'metrics', runIds: [] };
  const save = () => host.setState(state);
  app.className = 'panel';

  const tabs = document.createElement('vscode-tabs') as HTMLElement & { selectedIndex: number };
  const panels = {} as Record<PanelTab, HTMLElement>;
  for (const tab of PANEL_TABS) {
    const header = document.createElement('vscode-tab-header');
    header.setAttribute('slot', 'header');
    // vscode-tabs gives headers and panels ids of its own: name them by data attributes instead.
    header.dataset.tab = tab;
    header.textContent = TAB_TITLES[tab];
    panels[tab] = document.createElement('vscode-tab-panel');
    panels[tab].dataset.tab = tab;
    tabs.append(header, panels[tab]);
  }
  app.appendChild(tabs);
  const select = (tab: PanelTab) => {
    state.tab = tab;
    tabs.selectedIndex = PANEL_TABS.indexOf(tab);
    save();
  };
  tabs.addEventListener('vsc-tabs-select', (e: Event) => {
    const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    state.tab = PANEL_TABS[index] ?? 'metrics';
    save();
  });

  const metrics = new MetricsView(panels.metrics, state.runIds, state.charts ?? { mode: 'epoch', smoothing: 0 }, {
    follow: (runIds, after) => host.post({ type: 'runs/follow', runIds, after }),
    refresh: () => host.post({ type: 'runs/refresh' }),
    selectionChanged: (runIds) => {
      state.runIds = runIds;
      save();
    },
    viewChanged: (charts) => {
      state.charts = charts;
      save();
    },
    command: (command, runId) => host.post({ type: 'command', command, runId }),
  });
  const chat = new ChatView(panels.chat, {
    send: (requestId, text) => host.post({ type: 'chat/send', requestId, text }),
    stop: (requestId) => host.post({ type: 'chat/stop', requestId }),
    apply: (requestId, proposedSchema) => host.post({ type: 'chat/apply', requestId, proposedSchema }),
    clear: () => host.post({ type: 'chat/clear' }),
    command: (command) => host.post({ type: 'command', command }),
  });

  const models = new ModelTabs(panels.evaluate, panels.test, state.modelRunId ?? null, {
    load: (runId) => host.post({ type: 'model/load', runId }),
    cell: (runId, cell) => host.post({ type: 'evaluation/cell', runId, cell }),
    predict: (requestId, runId, input, image, activations) =>
      host.post({ type: 'test/predict', requestId, runId, input, image, activations }),
    boundary: (requestId, runId, points) => host.post({ type: 'test/boundary', requestId, runId, points }),
    picked: (runId) => {
      state.modelRunId = runId;
      save();
    },
  });

  host.onMessage((message) => {
    switch (message.type) {
      case 'runs':
        // An empty list may be a listing that failed: it deletes nothing from the selection.
        metrics.setRuns(message.runs, message.serverState === 'ready' && message.runs.length > 0);
        models.setRuns(message.runs);
        break;
      case 'run/events':
        metrics.addEvents(message.runId, message.events);
        break;
      case 'run/stream':
        metrics.setStatus(message.runId, message.status, message.message);
        break;
      case 'focus':
        select(message.tab);
        if (message.runId && (message.tab === 'evaluate' || message.tab === 'test')) models.select(message.runId);
        else if (message.runId) metrics.focusRun(message.runId);
        break;
      case 'model':
        models.onModel(message);
        break;
      case 'evaluation/cell':
        models.evaluate.showCell(message.runId, message.cell, message.samples, message.error);
        break;
      case 'test/result':
        models.test.onResult(message);
        break;
      case 'test/boundary':
        models.test.onBoundary(message);
        break;
      case 'chat/context':
        chat.setContext(message.fileName, message.schema);
        break;
      case 'chat/event':
        chat.onEvent(message.requestId, message.event);
        break;
      case 'chat/applied':
        chat.onApplied(message.requestId, message.outcome, message.message);
        break;
      default:
        ignoreUnknown(message, 'message from the extension');
    }
  });
  select(state.tab);
  host.post({ type: 'ready' });
  if (state.runIds.length) metrics.followSelected();
}
