/**
 * The 2-D toy datasets of TensorFlow Playground: two classes of points in the square [-6, 6]², with
 * Gaussian noise scaled by `noise` (0..1, like the Playground's 0..50 % slider). Seeded, so the same
 * seed gives the same points.
 */
import { createNormal, createRandom, shuffledIndices } from '../random';
import type { SyntheticDataset } from '../../shared/schema/types';
import { holdOut, type Dataset, type LabeledSamples } from './types';

export interface SyntheticOptions {
  /** Number of points in total (train + test); default 500 like the Playground. */
  samples?: number;
  /** Noise level 0..1; default 0. */
  noise?: number;
  seed: number;
}

/** Fraction of the points held out as the test split. */
const TEST_FRACTION = 0.2;

type PointMaker = (
  i: number,
  n: number,
  rand: () => number,
  normal: () => number,
  noise: number,
) => [number, number, number];

const makers: Record<SyntheticDataset, PointMaker> = {
  // Two interleaved spirals; the label alternates so both arms get half the points.
  spiral(i, n, rand, _normal, noise) {
    const label = i % 2;
    const k = Math.floor(i / 2);
    const half = Math.ceil(n / 2);
    const r = (k / half) * 5;
    const t = 1.75 * (k / half) * 2 * Math.PI + label * Math.PI;
    const x = r * Math.sin(t) + (rand() * 2 - 1) * noise;
    const y = r * Math.cos(t) + (rand() * 2 - 1) * noise;
    return [x, y, label];
  },
  // Quadrants: positive product is one class.
  xor(_i, _n, rand, _normal, noise) {
    const pad = 0.3;
    let x = rand() * 10 - 5;
    let y = rand() * 10 - 5;
    x += x > 0 ? pad : -pad;
    y += y > 0 ? pad : -pad;
    const label = x * y >= 0 ? 1 : 0;
    return [x + (rand() * 2 - 1) * 5 * noise, y + (rand() * 2 - 1) * 5 * noise, label];
  },
  // A disc inside a ring; the label comes from the noiseless radius.
  circle(i, _n, rand, _normal, noise) {
    const radius = 5;
    const inside = i % 2 === 0;
    const r = inside ? rand() * radius * 0.5 : radius * 0.7 + rand() * radius * 0.3;
    const angle = rand() * 2 * Math.PI;
    const x = r * Math.sin(angle);
    const y = r * Math.cos(angle);
    return [x + (rand() * 2 - 1) * radius * noise, y + (rand() * 2 - 1) * radius * noise, inside ? 1 : 0];
  },
  // Two Gaussian blobs around (2, 2) and (-2, -2); noise widens them.
  gaussian(i, _n, _rand, normal, noise) {
    const label = i % 2;
    const centre = label === 1 ? 2 : -2;
    const spread = 0.5 + noise * 3.5;
    return [centre + normal() * spread, centre + normal() * spread, label];
  },
};

export function isSyntheticDataset(name: string): name is SyntheticDataset {
  return Object.prototype.hasOwnProperty.call(makers, name);
}

export function generateSynthetic(name: SyntheticDataset, options: SyntheticOptions): Dataset {
  const n = options.samples ?? 500;
  const noise = options.noise ?? 0;
  if (!Number.isInteger(n) || n < 10)
    throw new Error(`dataset ${name}: samples must be an integer of at least 10 (got ${n})`);
  if (!(noise >= 0 && noise <= 1)) throw new Error(`dataset ${name}: noise must be between 0 and 1 (got ${noise})`);
  const rand = createRandom(options.seed);
  const normal = createNormal(rand);
  const all: LabeledSamples = { x: new Float32Array(n * 2), labels: new Int32Array(n), count: n };
  for (let i = 0; i < n; i++) {
    const [x, y, label] = makers[name](i, n, rand, normal, noise);
    all.x[i * 2] = x;
    all.x[i * 2 + 1] = y;
    all.labels[i] = label;
  }
  const { train, test } = holdOut(all, TEST_FRACTION, shuffledIndices(n, options.seed + 1));
  return { name, inputShape: [2], numClasses: 2, classNames: null, train, test };
}
