/**
 * Messages between the extension host and the "Compare Runs" webview (`<body data-view="compare">`):
 * the host sends the two runs in full (schema, per-epoch metrics, test result) plus every run's id and
 * creation time, so the page numbers and colours the runs exactly as the panel's run list does.
 *
 * Pure types: no `vscode`, no DOM, no Node.
 */
import type { RunDetail, RunSummary } from './protocol';

/** What the page needs to give a run the colour it has everywhere (webview/metrics/runLabels.ts). */
export type RunOrder = Pick<RunSummary, 'run_id' | 'created_at'>;

export type CompareHostMessage =
  { type: 'compare'; runs: [RunDetail, RunDetail]; order: RunOrder[] } | { type: 'error'; message: string };

export type CompareWebviewMessage = { type: 'ready' } | { type: 'showMetrics'; runId: string };
