/**
 * What Stitch's kernels on the cpu and wasm backends share (crossEntropy.ts, dropout.ts, and the data-parallel
 * replica's reads): reading a float32 tensor's values, making one from values computed in JS, and wasm's memory.
 */
import type * as tf from '@tensorflow/tfjs';

/** The parts of the cpu and wasm backends these kernels use: both read; cpu makes tensors, wasm makes outputs. */
export interface HostBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset: undefined, values: Float32Array): tf.TensorInfo;
}

/** The wasm backend's parts for working in its memory without copies. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: undefined, values?: Float32Array): tf.TensorInfo;
  /** A view of a tensor's values in wasm memory: valid until the next allocation (which may grow it). */
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** `backend` where it keeps tensors in wasm memory (the wasm backend), else null. */
export function heapOf(backend: unknown): HeapBackend | null {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === 'function' ? (backend as HeapBackend) : null;
}

/** A float32 tensor of `values` on `backend` (wasm copies them into its memory). */
export function hostFloat32(backend: HostBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  // Both have a makeOutput, with other arguments: wasm's is the one with a heap.
  const heap = heapOf(backend);
  if (heap) return heap.makeOutput(shape, 'float32', undefined, values);
  if (backend.makeTensorInfo) return backend.makeTensorInfo(shape, 'float32', values);
  throw new Error("Stitch's host kernels run on the cpu and wasm backends only");
}

/** A tensor's values as float32 (a copy where they are of another type). */
export function hostFloats(backend: HostBackend, info: tf.TensorInfo): Float32Array {
  const values = backend.readSync(info.dataId);
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}
