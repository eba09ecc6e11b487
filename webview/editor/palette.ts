/**
 * The layer palette: a vertical, searchable list of every layer type of the registry
 * (src/shared/schema/layers), grouped (core, convolution, pooling, merge, normalisation, regularisation),
 * each with the first sentence of its description. Click (or Enter) inserts the layer after the selected
 * node, or before the output layer; dragging one onto an edge inserts it into that edge, onto the canvas
 * adds it there. Nothing is hard-coded per type: a new registry entry shows up by itself.
 */
import { LAYERS } from '../../src/shared/schema/layers';
import type { LayerType } from '../../src/shared/schema/types';
import { el } from '../dom';
import { PALETTE_GROUPS, matchesSearch, summaryLine } from './paletteItems';

export const LAYER_DRAG_TYPE = 'application/x-stitch-layer';

export function renderPalette(host: HTMLElement, add: (type: LayerType) => void): void {
  host.replaceChildren();
  const search = el('input', 'palette-search');
  search.type = 'search';
  search.placeholder = 'Search layers';
  search.setAttribute('aria-label', 'Search layers');
  const list = el('div', 'palette-list');
  host.append(search, list);
  const items: { type: LayerType; item: HTMLElement; group: HTMLElement }[] = [];
  for (const g of PALETTE_GROUPS) {
    const types = Object.values(LAYERS)
      .filter((d) => g.categories.includes(d.category))
      .map((d) => d.type);
    if (types.length === 0) continue;
    const group = el('div', 'palette-group');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', g.title);
    group.appendChild(el('h3', '', g.title));
    for (const type of types) {
      const item = paletteItem(type, g.icon, add);
      items.push({ type, item, group });
      group.appendChild(item);
    }
    list.appendChild(group);
  }
  const filter = () => {
    for (const { type, item } of items) item.hidden = !matchesSearch(type, search.value);
    for (const group of list.children)
      (group as HTMLElement).hidden = !group.querySelector('.palette-item:not([hidden])');
  };
  search.addEventListener('input', filter);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const first = items.find((i) => !i.item.hidden);
      if (first) add(first.type);
    } else if (e.key === 'Escape' && search.value) {
      search.value = '';
      filter();
    }
  });
}

function paletteItem(type: LayerType, icon: string, add: (type: LayerType) => void): HTMLElement {
  const item = el('button', 'palette-item');
  item.dataset.type = type;
  item.draggable = true;
  item.title = `${LAYERS[type].description}\nClick: insert after the selected layer (or before the output layer). Drag onto an edge to insert it there.`;
  const text = el('span', 'palette-text');
  text.append(el('span', 'palette-name', type), el('span', 'palette-desc', summaryLine(LAYERS[type].description)));
  item.append(el('span', `codicon codicon-${icon}`), text);
  item.addEventListener('click', () => add(type));
  item.addEventListener('dragstart', (e) => {
    e.dataTransfer?.setData(LAYER_DRAG_TYPE, type);
    e.dataTransfer?.setData('text/plain', type);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
  });
  return item;
}
