/** Small real IDX files for dataset tests. */
import { gzipSync } from 'node:zlib';

/** An IDX file of unsigned bytes with the given dimensions; values from `value(i)`. */
export function idxBytes(dims: number[], value: (i: number) => number): Buffer {
  const count = dims.reduce((a, b) => a * b, 1);
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const body = Buffer.alloc(count);
  for (let i = 0; i < count; i++) body[i] = value(i) & 0xff;
  return Buffer.concat([header, body]);
}

/** `n` 28×28 images whose pixels encode their index, and labels `i % 10`, as plain and gzipped IDX files. */
export function mnistLike(n: number) {
  const images = idxBytes([n, 28, 28], (i) => Math.floor(i / 784) * 7 + (i % 784));
  const labels = idxBytes([n], (i) => i % 10);
  return { images, labels, imagesGz: gzipSync(images), labelsGz: gzipSync(labels) };
}
