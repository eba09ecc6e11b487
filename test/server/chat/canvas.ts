/** The original frontend's canvas for the chat tests (shared with test/shared/originalGraph.test.ts). */
import type { OriginalGraph } from '../../../src/shared/originalGraph';

/** A canvas as the original frontend sends it: uuid-style ids, layers in creation order, edges shuffled. */
export function mnistCanvas(): OriginalGraph {
  const layer = (id: string, kind: string, params: Record<string, unknown>, x: number) => ({
    id,
    kind,
    params,
    position: { x, y: 250 },
  });
  return {
    layers: {
      'output-7f3a': layer('output-7f3a', 'Output', { classes: 10, activation: 'softmax' }, 1800),
      'dense-19c2': layer('dense-19c2', 'Dense', { units: 64, activation: 'relu' }, 1200),
      'input-0001': layer('input-0001', 'Input', { size: 784, channels: 1, height: 28, width: 28 }, 0),
      'pool-55aa': layer('pool-55aa', 'Pooling', { type: 'max', pool_size: 2, stride: 2, padding: 0 }, 600),
      'conv-8b41': layer(
        'conv-8b41',
        'Convolution',
        { filters: 8, kernel: 3, stride: 1, padding: 'same', activation: 'relu' },
        300,
      ),
      'dropout-3e': layer('dropout-3e', 'Dropout', { rate: 0.25 }, 1500),
      'flatten-d0': layer('flatten-d0', 'Flatten', {}, 900),
    } as OriginalGraph['layers'],
    edges: [
      { id: 'e4', source: 'dense-19c2', target: 'dropout-3e' },
      { id: 'e1', source: 'input-0001', target: 'conv-8b41' },
      { id: 'e6', source: 'dropout-3e', target: 'output-7f3a' },
      { id: 'e3', source: 'flatten-d0', target: 'dense-19c2' },
      { id: 'e2', source: 'conv-8b41', target: 'pool-55aa' },
      { id: 'e2b', source: 'pool-55aa', target: 'flatten-d0' },
    ],
  };
}

/** The canvas's chain in data-flow order. */
export const CHAIN = ['input-0001', 'conv-8b41', 'pool-55aa', 'flatten-d0', 'dense-19c2', 'dropout-3e', 'output-7f3a'];
