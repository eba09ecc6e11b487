// Types for the tests that import scripts/build-wasm-simd.mjs.
export declare const WAT_PATH: string;
export declare const BINARY_PATH: string;
/** The text of src/server/training/wasmSimdBinary.ts for wasmSimd.wat's current source. */
export declare function renderBinaryModule(source?: string): Promise<string>;
