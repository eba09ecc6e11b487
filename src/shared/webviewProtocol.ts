/**
 * Messages between the extension host and Stitch's webviews (the visual editor and the metrics/chat panel),
 * as discriminated unions that both sides import. Every `switch (message.type)` over them ends in an
 * exhaustive `never` check, so adding a message is a type error until both sides handle it.
 *
 * Pure types (plus two tiny helpers): no `vscode`, no DOM, no Node.
 */
import type { Evaluation, EvaluationSample } from './evaluation';
import type { ChatStreamEvent, LayerActivation, RunState, RunSummary, TrainingEvent } from './protocol';
import type { Severity } from './schema/problems';
import type { ModelSummaryTable } from './schema/summary';

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
  /** Show a tab; `runId` selects that run (in the metrics, or as the run evaluated and tested). */
  | { type: 'focus'; tab: PanelTab; runId?: string }
  /** What the Evaluate and Test tabs show for a run (answer to `model/load`; `view` null with `error`). */
  | { type: 'model'; runId: string; view: RunModelView | null; error?: string }
  /** The samples of one confusion cell (answer to `evaluation/cell`). */
  | { type: 'evaluation/cell'; runId: string; cell: string; samples: EvaluationSample[]; error?: string }
  /** A prediction for the Test tab's input (answer to `test/predict`). */
  | {
      type: 'test/result';
      requestId: number;
      runId: string;
      probabilities: number[] | null;
      activations: LayerActivationView[];
      error?: string;
    }
  /** Probabilities for a batch of plane points, row by row (answer to `test/boundary`). */
  | { type: 'test/boundary'; requestId: number; runId: string; probabilities: number[][] | null; error?: string }
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
  | { type: 'command'; command: PanelCommand; runId?: string }
  /** The run the Evaluate and Test tabs show changed (or the page was reloaded): send its `model`. */
  | { type: 'model/load'; runId: string }
  | { type: 'evaluation/cell'; runId: string; cell: string }
  /** Predict one input (flat, in the model's input order); `activations`: the layer ids to look inside. */
  | { type: 'test/predict'; requestId: number; runId: string; input: number[]; image: boolean; activations: string[] }
  | { type: 'test/boundary'; requestId: number; runId: string; points: number[][] };

/** The Stitch panel's tabs, in their order. */
export type PanelTab = 'metrics' | 'evaluate' | 'test' | 'chat';
export const PANEL_TABS: readonly PanelTab[] = ['metrics', 'evaluate', 'test', 'chat'];

/** How the Test tab takes input for a model (src/extension/panels/runModelView.ts decides). */
export type TestInputKind = 'drawing' | 'points' | 'form' | 'none';

/** A layer whose output the Test tab can show: a feature map grid ([h, w, c]) or a heat strip ([n]). */
export interface InspectableLayer {
  id: string;
  type: string;
  outputShape: number[];
}

/** A run as the Evaluate and Test tabs see it: its evaluation, model summary and how to feed it. */
export interface RunModelView {
  runId: string;
  name: string;
  evaluation: Evaluation | null;
  summary: ModelSummaryTable | null;
  inputShape: number[];
  classes: string[];
  input: TestInputKind;
  /** For the form: one name per input feature (the CSV's columns when they could be read). */
  featureNames: string[];
  /** For the decision boundary: the data points shown under it (x, y, label). */
  points: { x: number; y: number; label: number }[];
  /** The layers whose activations are asked for with each prediction (within the server's bound). */
  layers: InspectableLayer[];
}

/** A layer's activation as `POST /api/infer` returns it (docs/server.md): bytes 0..255 between min and max. */
export type LayerActivationView = LayerActivation;

/** For the `default:` branch of a switch over a union: a compile error when a case is missing. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
