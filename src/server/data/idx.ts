/**
 * The IDX format of MNIST and Fashion-MNIST (big-endian header: 0, 0, data type, number of dimensions, then
 * one uint32 per dimension, then the values), optionally gzip-compressed.
 */
import { gunzipSync } from 'node:zlib';
import { readIdxPrefix } from './boundedRead';
import type { LabeledSamples } from './types';

const UBYTE = 0x08;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX buffer (gunzipping it first when it starts with the gzip magic bytes). */
export function parseIdx(input: Uint8Array, name: string): IdxArray {
  const buffer = input[0] === 0x1f && input[1] === 0x8b ? gunzipSync(input) : input;
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0) {
    throw new Error(
      `${name} is not an IDX file (it should start with two zero bytes); use files in the MNIST IDX format`,
    );
  }
  if (buffer[2] !== UBYTE) {
    throw new Error(
      `${name}: IDX data type 0x${buffer[2].toString(16)} is not supported; only unsigned bytes (0x08) are`,
    );
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const rank = buffer[3];
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buffer.length - offset < expected) {
    throw new Error(
      `${name} is truncated: its header promises ${expected} values but it holds ${buffer.length - offset}; download it again`,
    );
  }
  return { dims, data: buffer.subarray(offset, offset + expected) };
}

/**
 * Images (`[n, rows, cols]` or `[n, rows, cols, channels]`, bytes scaled to 0..1) and labels (`[n]`) as
 * labeled samples of shape `[rows, cols, channels]`.
 */
export function idxToSamples(
  images: IdxArray,
  labels: IdxArray,
  names: { images: string; labels: string },
): { samples: LabeledSamples; inputShape: number[] } {
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new Error(
      `${names.images}: images must have 3 or 4 dimensions ([count, rows, columns(, channels)]), not ${images.dims.length}`,
    );
  }
  if (labels.dims.length !== 1)
    throw new Error(`${names.labels}: labels must have 1 dimension ([count]), not ${labels.dims.length}`);
  const count = images.dims[0];
  if (labels.dims[0] !== count) {
    throw new Error(
      `${names.images} holds ${count} images but ${names.labels} holds ${labels.dims[0]} labels; use matching files`,
    );
  }
  const inputShape = [images.dims[1], images.dims[2], images.dims[3] ?? 1];
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { samples: { x, labels: Int32Array.from(labels.data), count }, inputShape };
}

/**
 * The first `maxItems` samples of an IDX file (gzipped or not), streamed: the file is never inflated or
 * read further than that (see boundedRead.ts). `name` is how the schema names the file. `claimed` is the
 * sample count the header states; `dims[0]` is the number read.
 */
export async function readIdxFile(
  path: string,
  name: string,
  maxItems = Infinity,
): Promise<IdxArray & { claimed: number }> {
  const head = await readIdxPrefix(path, name, maxItems);
  if (head.type !== UBYTE) {
    throw new Error(
      `${name}: IDX data type 0x${head.type.toString(16)} is not supported; only unsigned bytes (0x08) are`,
    );
  }
  return { dims: [head.count, ...head.dims.slice(1)], data: head.data, claimed: head.dims[0] };
}

/** Number of classes: one more than the largest label (MNIST's labels are 0..9). */
export function classCount(...sets: LabeledSamples[]): number {
  let max = 0;
  for (const set of sets) for (const label of set.labels) if (label > max) max = label;
  return max + 1;
}
