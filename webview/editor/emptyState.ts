/**
 * What an empty schema shows over the canvas: the presets to start from (the host sends the list once), or
 * a hint that clicking a palette layer starts an empty model. Hidden as soon as the document has layers.
 */
import type { DocumentSnapshot, PresetInfo } from '../../src/shared/webviewProtocol';
import { button, el } from '../dom';

export class EmptyState {
  readonly element = el('div', 'empty-state');
  private presets: PresetInfo[] = [];
  private snapshot: DocumentSnapshot | undefined;

  constructor(private readonly applyPreset: (name: string) => void) {
    this.element.hidden = true;
  }

  setPresets(presets: PresetInfo[]): void {
    this.presets = presets;
    this.render();
  }

  show(snapshot: DocumentSnapshot): void {
    this.snapshot = snapshot;
    this.render();
  }

  private render(): void {
    const show = !!this.snapshot && (this.snapshot.empty || this.snapshot.layers.length === 0);
    this.element.hidden = !show;
    if (!show) return;
    this.element.replaceChildren(
      el('h2', '', 'Start from a preset'),
      el('p', '', 'Or click a layer in the palette to start from an empty model (MNIST input).'),
    );
    const list = el('div', 'presets');
    for (const p of this.presets) {
      const b = button(p.name, 'file-code', () => this.applyPreset(p.name));
      b.title = p.description;
      list.appendChild(b);
    }
    this.element.appendChild(list);
  }
}
