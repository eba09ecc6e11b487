/**
 * What the JS kernels for the wasm backend (wasm*.ts) share: calling one of the backend's own kernels on tensors
 * in its memory, and freeing what such a call made.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Calls the wasm backend's kernel `name` as registered now, e.g. `runWasmKernel('Transpose', backend, { x }, { perm })`. */
export function runWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  // tfjs types the lookup as always found; it is undefined for a kernel the backend does not register.
  const kernel = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs } as never) as tf.TensorInfo;
}

/** Frees the backend memory of tensors that a kernel made for its own use. */
export function release(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * The byte offset of a tensor in the backend's memory, what our SIMD kernels (wasmSimd.wat) take. Offsets stay
 * valid when the memory grows, views do not: take views after every allocation.
 */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  return (backend.typedArrayFromHeap(info) as Float32Array).byteOffset;
}
