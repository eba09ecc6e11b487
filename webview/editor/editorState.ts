/**
 * What the visual editor keeps across reloads in the webview state: the view (pan/zoom), the selection and
 * which panels and sections are open. The document itself is never kept here: the host sends it again.
 */
import type { View } from './canvas';

export interface OpenPanels {
  palette: boolean;
  inspector: boolean;
  minimap: boolean;
}

export interface EditorState {
  view?: View;
  /** True once the user panned or zoomed: their view is kept instead of refitting the graph. */
  userView?: boolean;
  selection?: string[];
  /** Which panels are open; absent until the user toggles one (the defaults then follow the width). */
  panels?: OpenPanels;
  /** Whether the model summary section is expanded; absent until the user toggles it (then closed). */
  summaryOpen?: boolean;
}

/** Without a saved choice, a narrow editor (beside the text) starts with the inspector closed. */
export function defaultPanels(width: number): OpenPanels {
  return { palette: true, inspector: width >= 900, minimap: true };
}
