/**
 * What the palette lists, without the DOM (unit-tested in Node): its groups in the order a model is
 * usually built, each layer's one-line description, and the search.
 */
import { LAYERS, type LayerCategory } from '../../src/shared/schema/layers';
import type { LayerType } from '../../src/shared/schema/types';

/** The palette's groups in the order a model is usually built; reshape layers are listed with core. */
export const PALETTE_GROUPS: { title: string; categories: LayerCategory[]; icon: string }[] = [
  { title: 'Core', categories: ['core', 'reshape'], icon: 'circuit-board' },
  { title: 'Convolution', categories: ['convolution'], icon: 'symbol-array' },
  { title: 'Pooling', categories: ['pooling'], icon: 'fold-down' },
  { title: 'Merge', categories: ['merge'], icon: 'git-merge' },
  { title: 'Normalisation', categories: ['normalization'], icon: 'symbol-ruler' },
  { title: 'Regularisation', categories: ['regularization'], icon: 'filter' },
];

/** The first sentence of a description, for the one line under the name. */
export function summaryLine(description: string): string {
  const end = description.search(/[.:;](\s|$)/);
  return (end > 0 ? description.slice(0, end) : description).replace(/`/g, '');
}

/** Whether a layer type matches the search text (name, group or description; all words must match). */
export function matchesSearch(type: LayerType, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const def = LAYERS[type];
  const haystack = `${type} ${def.category} ${def.description}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}
