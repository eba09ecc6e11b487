/**
 * Saving and loading models in the tfjs layers format (`model.json` + `weights.bin`) on the local disk.
 * Plain `@tensorflow/tfjs` has no `file://` handler in Node (only tfjs-node does), so these are small
 * custom IO handlers; the files are the same as tfjs-node's and load in the browser with `tf.loadLayersModel`.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

function toBuffer(data: ArrayBuffer | ArrayBuffer[] | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((part) => Buffer.from(part)));
}

/** Writes `model.json` and `weights.bin` into `dir` (created if needed); files appear atomically. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  await mkdir(dir, { recursive: true });
  return model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = toBuffer(artifacts.weightData);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        trainingConfig: artifacts.trainingConfig,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      // Write to temporary names first so a reader never sees a half-written model.
      await writeFile(join(dir, `${WEIGHTS_FILE}.tmp`), weights);
      await writeFile(join(dir, `${MODEL_FILE}.tmp`), JSON.stringify(modelJson));
      await rename(join(dir, `${WEIGHTS_FILE}.tmp`), join(dir, WEIGHTS_FILE));
      await rename(join(dir, `${MODEL_FILE}.tmp`), join(dir, MODEL_FILE));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weights.byteLength,
        },
      };
    }),
  );
}

/** Loads a model saved by `saveModel` (or tfjs-node's `file://` handler) from `dir`. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(
      `cannot read the trained model in ${dir}: ${(err as Error).message}; train the schema again to recreate it`,
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const path of group.paths) buffers.push(await readFile(join(dir, path)));
  }
  const weightData = Buffer.concat(buffers);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    weightSpecs: specs,
    // A fresh ArrayBuffer holding exactly these bytes (a Buffer may be a view into a larger pool).
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  };
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
