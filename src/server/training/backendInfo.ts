/**
 * The backend this process trains with, as one line for people: `wasm, 4 threads`, `webgpu, NVIDIA H200`,
 * `cpu`. Kept apart from backend.ts (which loads TensorFlow.js) so that `/api/health` can read it cheaply.
 */
import type { BackendName } from '../../shared/protocol';

export interface BackendInfo {
  backend: BackendName;
  /** Threads the backend computes with (wasm: XNNPACK's pool; 1 for cpu and GPUs' host side). */
  threads: number;
  /** `wasm, 4 threads`; `webgpu, <adapter name>`; `cpu`. */
  detail: string;
}

let current: BackendInfo | null = null;

export function setCurrentBackend(info: BackendInfo): void {
  current = info;
}

/** The last backend activated in this process, or null before the first. */
export function currentBackend(): BackendInfo | null {
  return current;
}
