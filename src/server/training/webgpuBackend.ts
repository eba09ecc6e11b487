/**
 * The `webgpu` backend: `@tensorflow/tfjs-backend-webgpu` on Dawn, the WebGPU implementation that the npm
 * package `webgpu` ships as a native addon (`dist/<platform>-<arch>/dawn.node`, Vulkan on Linux). Both are
 * optional dependencies: where either is missing, or where Dawn finds no GPU adapter (no GPU, no Vulkan
 * driver or loader), this throws a reason and the automatic order goes on to wasm.
 *
 * The addon is required directly rather than through the package's ESM entry, so that the CommonJS trainer
 * and bundles that carry the addon beside them (`STITCH_DAWN_NODE`, see bench/gpu-bundle.mjs) load it the
 * same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerWebgpuAdamKernels } from './webgpuAdam';
import { registerWebgpuCrossEntropy } from './webgpuCrossEntropy';
import { registerWebgpuMaxPoolGrad } from './webgpuPoolGrad';
import { registerWebgpuReductions } from './webgpuReduce';
import { registerWebgpuDropoutKernel } from './webgpuDropout';
import { registerWebgpuReluGrad } from './webgpuReluGrad';

interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  /** Where older WebGPU implementations put it; the current spec (and Dawn in `webgpu` 0.6) has it on `info`. */
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapter | null>;
}
interface DawnAddon {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** The path of Dawn's addon: `STITCH_DAWN_NODE`, else the one inside the installed `webgpu` package. */
function dawnAddonPath(): string {
  const fromEnv = process.env.STITCH_DAWN_NODE?.trim();
  if (fromEnv) return fromEnv;
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('webgpu/package.json'));
  } catch {
    throw new Error('the webgpu package (Dawn) is not installed (optional dependency)');
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return join(packageDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/**
 * On Linux Dawn needs the Vulkan loader; without it, loading Dawn prints a warning and finds nothing. Checking
 * the linker's cache (and LD_LIBRARY_PATH) first keeps CI's logs clean and skips loading a 20 MB addon.
 */
function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return true; // no cache to read: let Dawn look for itself
  }
}

/**
 * What to show for an adapter: vendor, architecture and device, with the description after them (Dawn's
 * description of an NVIDIA GPU on Vulkan is the driver, `NVIDIA: 580.159.04 …`, so it alone says little).
 */
export function adapterName(adapter: GpuAdapter): string {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ');
  if (parts && info.description) return `${parts} (${info.description})`;
  return parts || info.description || 'unnamed adapter';
}

/** A software adapter (SwiftShader, lavapipe): WebGPU on the CPU, slower than wasm. */
export function isSoftwareAdapter(adapter: GpuAdapter): boolean {
  return adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
}

let adapterLabel: string | null = null;

/**
 * Loads Dawn, finds a GPU adapter and registers tfjs's webgpu backend on it; returns the adapter's name.
 * Throws (with the reason) where any of that is missing, without touching the other backends.
 *
 * A software adapter is refused unless `allowSoftware` (webgpu asked for by name): the automatic order must not
 * pick WebGPU on the CPU over wasm, but a user (or a test on a machine without a GPU) who asks for it gets it,
 * named as such.
 */
export async function loadWebgpu(options: { allowSoftware?: boolean } = {}): Promise<string> {
  if (adapterLabel !== null && tf.findBackend('webgpu')) return adapterLabel;
  const addon = dawnAddonPath();
  if (!hasVulkanLoader()) throw new Error('no Vulkan loader (libvulkan.so.1), so no GPU for Dawn');
  let dawn: DawnAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dawn = require(addon) as DawnAddon;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new Error(message.includes('not installed') ? message : `Dawn (webgpu) failed to load: ${message}`);
  }
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no GPU adapter (no GPU, or no Vulkan driver)');
  const software = isSoftwareAdapter(adapter);
  if (software && !options.allowSoftware) {
    throw new Error(`Dawn found only a software adapter (${adapterName(adapter)}), slower than wasm`);
  }
  // tfjs-backend-webgpu looks for navigator.gpu and the WebGPU classes (GPUBufferUsage, …) on globalThis.
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'MODULE_NOT_FOUND'
        ? '@tensorflow/tfjs-backend-webgpu is not installed (optional dependency)'
        : `@tensorflow/tfjs-backend-webgpu failed to load: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  registerWebgpuAdamKernels();
  registerWebgpuDropoutKernel();
  registerWebgpuReluGrad();
  registerWebgpuCrossEntropy();
  registerWebgpuReductions();
  registerWebgpuMaxPoolGrad();
  adapterLabel = software ? `${adapterName(adapter)}, a software adapter` : adapterName(adapter);
  return adapterLabel;
}
