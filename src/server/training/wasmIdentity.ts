/**
 * Identity and same-dtype Cast without a copy on wasm. tfjs-backend-wasm 4.22 copies the whole tensor for
 * both, and a training step calls them dozens of times (gradients passed through, `cast(step(x), 'float32')`
 * in every ReLU gradient): ~5 ms per batch of the Keras MNIST convnet, 64×26×26×32 floats at a time. Tensor
 * data is immutable, so the output can share the input's memory, counted by reference (as the cpu backend
 * and the wasm backend's own Reshape do); the memory is freed when the last tensor using it is disposed.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
interface KernelArgs {
  inputs: { x: Info };
  backend: BackendWasm;
  attrs: { dtype?: tf.DataType };
}

function share(backend: BackendWasm, x: Info): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Wraps the backend's Identity: strings (kept in JS, not on the heap) still go to it. */
export function sharingIdentity(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) =>
    args.inputs.x.dtype === 'string' ? original(args) : share(args.backend, args.inputs.x)) as unknown as tf.KernelFunc;
}

/** Wraps the backend's Cast: a cast to the tensor's own numeric dtype shares; real conversions go to it. */
export function sharingCast(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x } = args.inputs;
    if (args.attrs.dtype === x.dtype && x.dtype !== 'string' && x.dtype !== 'complex64') return share(args.backend, x);
    return original(args);
  }) as unknown as tf.KernelFunc;
}
