/**
 * The Stitch panel: two tabs, Metrics and Chat. Its webview state (restored by the panel serializer after
 * a reload) holds only the open tab and the runs being shown; the host replays those runs' events, so the
 * charts come back complete without storing 100,000 points in the state.
 */
import type { PanelHostMessage, PanelWebviewMessage } from '../../src/shared/webviewProtocol';
import { hostChannel, ignoreUnknown } from '../vscodeApi';
import { ChatView } from '../chat/chatView';
import { MetricsView, type ChartViewState } from '../metrics/metricsView';

type Tab = 'metrics' | 'chat';

interface PanelState {
  tab: Tab;
  runIds: string[];
  /** The charts' mode and smoothing (absent in states saved by older versions). */
  charts?: ChartViewState;
}

export function startPanel(app: HTMLElement): void {
  const host = hostChannel<PanelHostMessage, PanelWebviewMessage, PanelState>();
  const state: PanelState = host.getState() ?? { tab: 'metrics', runIds: [] };
  const save = () => host.setState(state);
  app.className = 'panel';

  const tabs = document.createElement('vscode-tabs') as HTMLElement & { selectedIndex: number };
  const metricsHeader = document.createElement('vscode-tab-header');
  metricsHeader.setAttribute('slot', 'header');
  metricsHeader.id = 'tab-metrics';
  metricsHeader.textContent = 'Metrics';
  const metricsPanel = document.createElement('vscode-tab-panel');
  const chatHeader = document.createElement('vscode-tab-header');
  chatHeader.setAttribute('slot', 'header');
  chatHeader.id = 'tab-chat';
  chatHeader.textContent = 'Chat';
  const chatPanel = document.createElement('vscode-tab-panel');
  tabs.append(metricsHeader, metricsPanel, chatHeader, chatPanel);
  app.appendChild(tabs);
  const select = (tab: Tab) => {
    state.tab = tab;
    tabs.selectedIndex = tab === 'metrics' ? 0 : 1;
    save();
  };
  tabs.addEventListener('vsc-tabs-select', (e: Event) => {
    const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    state.tab = index === 1 ? 'chat' : 'metrics';
    save();
  });

  const metrics = new MetricsView(metricsPanel, state.runIds, state.charts ?? { mode: 'epoch', smoothing: 0 }, {
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
  const chat = new ChatView(chatPanel, {
    send: (requestId, text) => host.post({ type: 'chat/send', requestId, text }),
    stop: (requestId) => host.post({ type: 'chat/stop', requestId }),
    apply: (requestId, proposedSchema) => host.post({ type: 'chat/apply', requestId, proposedSchema }),
    clear: () => host.post({ type: 'chat/clear' }),
    command: (command) => host.post({ type: 'command', command }),
  });

  host.onMessage((message) => {
    switch (message.type) {
      case 'runs':
        metrics.setRuns(message.runs);
        break;
      case 'run/events':
        metrics.addEvents(message.runId, message.events);
        break;
      case 'run/stream':
        metrics.setStatus(message.runId, message.status, message.message);
        break;
      case 'focus':
        select(message.tab);
        if (message.runId) metrics.focusRun(message.runId);
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
