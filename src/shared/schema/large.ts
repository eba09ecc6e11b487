/**
 * A large, valid schema for benchmarks and scale tests: a residual MLP on the spiral dataset with exactly
 * `n` layers (dense, dropout and add blocks, a few batchNormalization layers, a softmax output).
 */
import type { LayerSpec, StitchSchema } from './types';

export function makeLargeSchema(n: number): StitchSchema {
  if (!Number.isInteger(n) || n < 2) throw new Error(`makeLargeSchema needs n ≥ 2 layers, got ${n}`);
  const width = 16;
  const layers: LayerSpec[] = [{ id: 'stem', type: 'dense', units: width, activation: 'relu' }];
  let trunk = 'stem';
  // Residual blocks of three layers: dense → dropout → add(trunk, dropout).
  for (let b = 0; layers.length + 3 <= n - 1; b++) {
    layers.push({ id: `b${b}_dense`, type: 'dense', units: width, activation: 'relu' });
    layers.push({ id: `b${b}_drop`, type: 'dropout', rate: 0.1 });
    layers.push({ id: `b${b}_add`, type: 'add', inputs: [trunk, `b${b}_drop`] });
    trunk = `b${b}_add`;
  }
  // Pad with layers that keep the shape so the count comes out exact.
  while (layers.length < n - 1) {
    const id = `norm${layers.length}`;
    layers.push({ id, type: 'batchNormalization', inputs: [trunk] });
    trunk = id;
  }
  layers.push({ id: 'out', type: 'dense', units: 2, activation: 'softmax', inputs: [trunk] });
  return {
    version: 1,
    name: `large-${n}`,
    description: `A ${n}-layer residual MLP for benchmarks.`,
    input: { shape: [2] },
    layers,
    training: {
      dataset: 'spiral',
      epochs: 1,
      batchSize: 32,
      optimizer: { type: 'adam', learningRate: 0.001 },
      loss: 'categoricalCrossentropy',
    },
  };
}

/** The same schema as 2-space JSON text, as it would sit in a file. */
export function makeLargeSchemaText(n: number): string {
  return JSON.stringify(makeLargeSchema(n), null, 2) + '\n';
}
