/**
 * The layer palette: every layer type of the registry (src/shared/schema/layers), grouped by category.
 * Click (or Enter) appends the layer after the selection or at the end; dragging one onto the canvas adds
 * it there. Nothing here is hard-coded per type: a new registry entry shows up by itself.
 */
import { LAYERS, type LayerCategory } from '../../src/shared/schema/layers';
import type { LayerType } from '../../src/shared/schema/types';

export const LAYER_DRAG_TYPE = 'application/x-stitch-layer';

const CATEGORY_TITLES: Record<LayerCategory, string> = {
  core: 'Core', convolution: 'Convolution', pooling: 'Pooling', regularization: 'Regularization',
  normalization: 'Normalization', reshape: 'Reshape', merge: 'Merge',
};

const ICONS: Record<LayerCategory, string> = {
  core: 'circuit-board', convolution: 'symbol-array', pooling: 'fold-down', regularization: 'filter',
  normalization: 'symbol-ruler', reshape: 'symbol-structure', merge: 'git-merge',
};

export function renderPalette(host: HTMLElement, add: (type: LayerType) => void): void {
  host.replaceChildren();
  const title = document.createElement('h2');
  title.textContent = 'Layers';
  host.appendChild(title);
  const byCategory = new Map<LayerCategory, LayerType[]>();
  for (const def of Object.values(LAYERS)) byCategory.set(def.category, [...(byCategory.get(def.category) ?? []), def.type]);
  for (const [category, types] of byCategory) {
    const group = document.createElement('div');
    group.className = 'palette-group';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', CATEGORY_TITLES[category]);
    const heading = document.createElement('h3');
    heading.textContent = CATEGORY_TITLES[category];
    group.appendChild(heading);
    for (const type of types) {
      const item = document.createElement('button');
      item.className = 'palette-item';
      item.dataset.type = type;
      item.draggable = true;
      item.title = `${LAYERS[type].description}\nClick to append, or drag onto the graph.`;
      const icon = document.createElement('span');
      icon.className = `codicon codicon-${ICONS[category]}`;
      const label = document.createElement('span');
      label.textContent = type;
      item.append(icon, label);
      item.addEventListener('click', () => add(type));
      item.addEventListener('dragstart', (e) => {
        e.dataTransfer?.setData(LAYER_DRAG_TYPE, type);
        e.dataTransfer?.setData('text/plain', type);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
      });
      group.appendChild(item);
    }
    host.appendChild(group);
  }
}
