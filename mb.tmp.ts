import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './src/server/training/backend';
import { simdKernels } from './src/server/training/wasmSimd';
(async () => {
  await selectBackend('wasm', { threads: 1 });
  const b = tf.backend() as any;
  const R = 43264, K = 9, N = 32;
  const a = b.makeOutput([R, K], 'float32'), bb = b.makeOutput([R, N], 'float32'), c = b.makeOutput([K, N], 'float32');
  const A = b.typedArrayFromHeap(a), B = b.typedArrayFromHeap(bb), C = b.typedArrayFromHeap(c);
  for (let i = 0; i < A.length; i++) A[i] = Math.random(); for (let i = 0; i < B.length; i++) B[i] = Math.random();
  const s = simdKernels(b)!;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) s.matMulTransposeA(C.byteOffset, A.byteOffset, B.byteOffset, R, K, N, 0);
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) s.columnSums(C.byteOffset, B.byteOffset, R, N);
    const t2 = performance.now();
    console.log('matMulTA', ((t1 - t0) / 20).toFixed(2), 'ms; columnSums', ((t2 - t1) / 20).toFixed(2));
  }
  // check
  let err = 0; for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) { let s2 = 0; for (let r = 0; r < R; r++) s2 += A[r*K+k]*B[r*N+n]; s.matMulTransposeA(C.byteOffset, A.byteOffset, B.byteOffset, R, K, N, 0); err = Math.max(err, Math.abs(s2 - C[k*N+n])/Math.abs(s2)); break; }
  console.log('rel err', err);
})();
