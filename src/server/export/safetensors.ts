/**
 * The safetensors file format (a little-endian u64 header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw data): what PyTorch and Keras users load weights from. Written by hand
 * because it is that simple; the exported Python reads it with the `safetensors` package where installed
 * and with a dozen lines of its own where not.
 */

export type TensorDtype = 'F32' | 'I32' | 'U8';

export interface NamedTensor {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** Encodes tensors (in the given order) with optional string metadata. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(
        `tensor ${t.name}: shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`,
      );
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // The data should start 8-byte aligned; pad the header with spaces, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([
    head,
    Buffer.from(json),
    ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ]);
}

/** Decodes a safetensors buffer (the tests read back what was written). */
export function decodeSafetensors(buffer: Buffer): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  const base = 8 + length;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: [start, end],
    } = entry as { dtype: TensorDtype; shape: number[]; data_offsets: [number, number] };
    const bytes = new Uint8Array(buffer.subarray(base + start, base + end)); // a copy: aligned for the typed views
    const data =
      dtype === 'F32' ? new Float32Array(bytes.buffer) : dtype === 'I32' ? new Int32Array(bytes.buffer) : bytes;
    tensors.set(name, { name, dtype, shape, data });
  }
  return { tensors, metadata };
}
