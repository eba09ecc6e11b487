/**
 * Messages between the extension host and Stitch's webviews (the visual editor and the metrics/chat panel),
 * as discriminated unions that both sides import. Every `switch (message.type)` over them ends in an
 * exhaustive `never` check, so adding a message is a type error until both sides handle it.
 *
 * Pure types (plus two tiny helpers): no `vscode`, no DOM, no Node.
 */
import type { ChatStreamEvent, RunState, RunSummary, TrainingEvent } from './protocol';
import type { Severity } from './schema/problems';

// ---------------------------------------------------------------------------------------------------
// The visual editor (custom editor over one `*.stitch.json` document)

/** One layer as the graph shows it. */
export interface LayerView {
  id: string;
  /** The layer type as written (may be unknown to the registry: the node then shows the problem). */
  type: string;
  /** Position in `layers`. */
  index: number;
  /** Every key except `id`, `type` and `inputs`. */
  config: Record<string, unknown>;
  /** `inputs` as written, or null when the layer consumes the previous one. */
  inputs: string[] | null;
  /** The resolved sources (`"input"` for the model input), explicit or implicit. */
  sources: string[];
  outputShape: number[] | null;
  params: number | null;
}

/** A problem of the schema core, placed on a node, an edge or the training panel. */
export interface ProblemView {
  path: string;
  message: string;
  severity: Severity;
  code: string;
  /** The layer the problem is about (`layers[i]…`). */
  layerId?: string;
  /** The parameter of that layer (`layers[i].<key>`). */
  key?: string;
  /** The edge the problem is about (`layers[i].inputs[k]`): from a source to the layer. */
  edge?: { from: string; to: string };
}

export interface PresetInfo {
  /** File name without `.stitch.json`, e.g. `mnist-cnn`. */
  name: string;
  description: string;
}

export interface DocumentSnapshot {
  type: 'document';
  /** The document version this snapshot was taken at. */
  version: number;
  fileName: string;
  /** True when the text is empty or only whitespace (a new file): the editor offers presets. */
  empty: boolean;
  /** When the text is not JSON at all: the first syntax error (the graph keeps its last good state). */
  syntaxError: string | null;
  name: string;
  inputShape: number[] | null;
  layers: LayerView[];
  problems: ProblemView[];
  /** Total parameter count (0 unless every shape could be inferred). */
  params: number;
  training: Record<string, unknown> | null;
  layout: Record<string, { x: number; y: number }> | null;
}

/** A training run started from this document, for the editor's toolbar. */
export interface RunBadge {
  type: 'run';
  runId: string | null;
  state: RunState | null;
  progress: number;
  message: string;
}

export type EditorHostMessage = DocumentSnapshot | RunBadge | { type: 'presets'; presets: PresetInfo[] };

/** Intents of the visual editor. The host turns each into one minimal WorkspaceEdit (one undo step). */
export type EditIntent =
  | { type: 'schema/rename'; name: string }
  | { type: 'schema/inputShape'; shape: number[] }
  /**
   * Where the layer goes: into the edge `intoEdge` (a palette item dropped on an edge), else after `afterId`
   * (the selection), else before the output layer (a model of one layer: after it).
   */
  | {
      type: 'layer/add';
      layerType: string;
      afterId?: string;
      intoEdge?: { from: string; to: string };
      position?: { x: number; y: number };
    }
  | { type: 'layer/update'; id: string; key: string; value: unknown }
  | { type: 'layer/rename'; id: string; newId: string }
  | { type: 'layer/delete'; ids: string[] }
  | { type: 'layer/duplicate'; ids: string[] }
  | { type: 'edge/connect'; from: string; to: string }
  | { type: 'edge/disconnect'; from: string; to: string }
  | { type: 'layout/set'; positions: Record<string, { x: number; y: number }> }
  | { type: 'training/update'; path: (string | number)[]; value: unknown }
  /**
   * Several intents applied in order to the text and written as ONE edit (one undo step), e.g. moving an
   * edge = disconnect + connect. Sent as one message so the host cannot interleave or lose half of it.
   */
  | { type: 'batch'; intents: EditIntent[] };

export type EditIntentType = EditIntent['type'];

/** Commands a webview may ask the host to run (a fixed list: the webview cannot run arbitrary commands). */
export type PanelCommand = 'train' | 'cancel' | 'showMetrics' | 'openChat' | 'setApiKey' | 'showText';

export type EditorWebviewMessage =
  | { type: 'ready' }
  | EditIntent
  | { type: 'preset/apply'; name: string }
  /** One node was selected: show its layer in the text editors of the document that are open beside. */
  | { type: 'layer/reveal'; id: string }
  | { type: 'command'; command: PanelCommand };

// ---------------------------------------------------------------------------------------------------
// The Stitch panel (metrics + chat)

/** How the host's relay of a run's SSE stream is doing. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'ended';

export type PanelHostMessage =
  | { type: 'runs'; runs: RunSummary[]; serverState: string }
  | { type: 'run/events'; runId: string; events: TrainingEvent[] }
  | { type: 'run/stream'; runId: string; status: StreamStatus; message?: string }
  | { type: 'focus'; tab: 'metrics' | 'chat'; runId?: string }
  /** The schema document the chat is about (the proposal preview diffs against `schema`). */
  | { type: 'chat/context'; fileName: string | null; schema: unknown }
  | { type: 'chat/event'; requestId: number; event: ChatStreamEvent }
  | { type: 'chat/applied'; requestId: number; outcome: 'applied' | 'rejected' | 'failed'; message?: string };

export type PanelWebviewMessage =
  | { type: 'ready' }
  /** Follow these runs; `after` is the last event id the webview holds per run (events after it are sent). */
  | { type: 'runs/follow'; runIds: string[]; after: Record<string, number> }
  | { type: 'runs/refresh' }
  | { type: 'chat/send'; requestId: number; text: string }
  | { type: 'chat/stop'; requestId: number }
  | { type: 'chat/apply'; requestId: number; proposedSchema: unknown }
  | { type: 'chat/clear' }
  | { type: 'command'; command: PanelCommand; runId?: string };

/** For the `default:` branch of a switch over a union: a compile error when a case is missing. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
