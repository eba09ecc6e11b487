/**
 * Adding layers from the palette: a click adds after the selected layer, a drop on an edge inserts into
 * it, a drop elsewhere places the layer where it fell. The document decides the new layer's id, so the
 * layer is selected and scrolled to once a snapshot shows a layer that was not there before.
 */
import type { DocumentSnapshot, EditIntent } from '../../src/shared/webviewProtocol';
import type { GraphCanvas } from './canvas';
import { INPUT_NODE_ID, NODE_HEIGHT, NODE_WIDTH } from './graphModel';
import { LAYER_DRAG_TYPE } from './palette';

interface Placement {
  position?: { x: number; y: number };
  intoEdge?: { from: string; to: string };
}

/** How long to wait for the snapshot with the added layer before giving up on selecting it. */
const PENDING_MS = 5000;

export class LayerAdder {
  private pending: { known: Set<string>; until: number } | undefined;

  constructor(
    private readonly canvas: GraphCanvas,
    private readonly emit: (intent: EditIntent) => void,
  ) {}

  /** Asks for a layer of `layerType`; `layerIds` are the ids the document has now. */
  add(layerType: string, layerIds: readonly string[], where: Placement = {}): void {
    const selected = [...this.canvas.selection].filter((id) => id !== INPUT_NODE_ID);
    this.pending = { known: new Set(layerIds), until: Date.now() + PENDING_MS };
    this.emit({ type: 'layer/add', layerType, afterId: where.intoEdge ? undefined : selected.at(-1), ...where });
  }

  /** Palette items dropped on the stage: into the edge under the pointer, else at the drop point. */
  acceptDrops(stage: HTMLElement, layerIds: () => readonly string[]): void {
    const canvas = this.canvas;
    stage.addEventListener('dragover', (e) => {
      if (e.dataTransfer?.types.includes(LAYER_DRAG_TYPE)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        canvas.markDropEdge(canvas.edgeAt(e.clientX, e.clientY));
      }
    });
    stage.addEventListener('dragleave', () => canvas.markDropEdge(undefined));
    stage.addEventListener('drop', (e) => {
      const type = e.dataTransfer?.getData(LAYER_DRAG_TYPE);
      canvas.markDropEdge(undefined);
      if (!type) return;
      e.preventDefault();
      const edge = canvas.edgeAt(e.clientX, e.clientY);
      const p = canvas.toGraph(e.clientX, e.clientY);
      const centred = { x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 };
      this.add(type, layerIds(), edge ? { intoEdge: edge } : { position: centred });
    });
  }

  /** Selects and reveals the layer an add asked for, when this snapshot is the one that has it. */
  selectAdded(next: DocumentSnapshot): void {
    const pending = this.pending;
    if (!pending) return;
    const added = next.layers.find((l) => !pending.known.has(l.id));
    if (!added && Date.now() < pending.until) return;
    this.pending = undefined;
    if (!added) return;
    this.canvas.setSelection([added.id]);
    this.canvas.reveal(added.id);
  }
}
