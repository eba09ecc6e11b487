/**
 * The model summary (src/shared/schema/summary.ts: `model.summary()`'s rows and totals) of what the editor
 * shows: the snapshot's layers with the output shapes and parameter counts the schema core inferred.
 * Pure, so it is tested without a browser (test/webview/editorSummary.test.ts).
 */
import type { LayerShapeInfo } from '../../src/shared/protocol';
import { modelSummary, type ModelSummaryTable } from '../../src/shared/schema/summary';
import type { LayerSpec, LayerType } from '../../src/shared/schema/types';
import type { DocumentSnapshot } from '../../src/shared/webviewProtocol';

export interface SnapshotSummary {
  table: ModelSummaryTable;
  /** Some layer's shape could not be inferred (a problem): the totals count only the others. */
  partial: boolean;
}

export function snapshotSummary(snapshot: Pick<DocumentSnapshot, 'layers'>): SnapshotSummary {
  // A type the registry does not know is kept as written: the summary names it, with no parameters.
  const layers = snapshot.layers.map((l): LayerSpec => ({ ...l.config, id: l.id, type: l.type as LayerType }));
  const shapes: Record<string, LayerShapeInfo> = {};
  for (const l of snapshot.layers)
    if (l.outputShape && l.params !== null) shapes[l.id] = { outputShape: l.outputShape, params: l.params };
  const table = modelSummary({ layers }, shapes);
  return { table, partial: snapshot.layers.some((l) => l.params === null) };
}
