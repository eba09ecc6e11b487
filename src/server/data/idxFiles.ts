/**
 * IDX datasets from the workspace: `{ "idx": { "images": …, "labels": …, "testImages"?: …, "testLabels"?: … } }`.
 * Without test files, a seeded 20 % of the samples is held out as the test split. Files are streamed and
 * read only as far as `maxSamples` / `testSamples` can use (see boundedRead.ts for the caps); with those set,
 * the first samples of the file are the ones read, so a file sorted by class should be shuffled first.
 */
import { shuffledIndices } from '../random';
import { classCount, idxToSamples, readIdxFile } from './idx';
import { resolveWorkspaceFile } from './paths';
import { holdOut, type Dataset, type DatasetContext } from './types';

/** Fraction of the samples held out as the test split when there are no test files. */
const HOLD_OUT = 0.2;

interface IdxSpec {
  images: string;
  labels: string;
  testImages?: string;
  testLabels?: string;
}

/** Reads at most `maxItems` image/label pairs; the files' claimed counts must agree. */
async function readPair(images: string, labels: string, context: DatasetContext, field: string, maxItems: number) {
  const at = (file: string, key: string) =>
    resolveWorkspaceFile(file, context.baseDir, context.workspaceRoot, `training.dataset.idx.${key}`);
  const imagesPath = at(images, field === 'test' ? 'testImages' : 'images');
  const labelsPath = at(labels, field === 'test' ? 'testLabels' : 'labels');
  const imageArray = await readIdxFile(imagesPath, images, maxItems);
  const labelArray = await readIdxFile(labelsPath, labels, maxItems);
  if (imageArray.claimed !== labelArray.claimed) {
    throw new Error(
      `${images} holds ${imageArray.claimed} images but ${labels} holds ${labelArray.claimed} labels; use matching files`,
    );
  }
  if (imageArray.claimed > imageArray.dims[0])
    context.log(
      `${images}: read the first ${imageArray.dims[0]} of ${imageArray.claimed} samples (maxSamples/testSamples)`,
    );
  return idxToSamples(imageArray, labelArray, { images, labels });
}

export async function loadIdxDataset(spec: IdxSpec, context: DatasetContext): Promise<Dataset> {
  if (!spec || typeof spec.images !== 'string' || typeof spec.labels !== 'string') {
    throw new Error('training.dataset.idx: give both "images" and "labels" paths');
  }
  if ((spec.testImages === undefined) !== (spec.testLabels === undefined)) {
    throw new Error('training.dataset.idx: give both "testImages" and "testLabels", or neither');
  }
  const testFiles = spec.testImages !== undefined;
  // Files are read from the start, only as far as maxSamples can use: without test files, 20 % of what is
  // read is held out for testing, so a fifth more is read.
  const trainItems = context.maxSamples
    ? testFiles
      ? context.maxSamples
      : Math.ceil(context.maxSamples / (1 - HOLD_OUT))
    : Infinity;
  const main = await readPair(spec.images, spec.labels, context, 'train', trainItems);
  let train = main.samples;
  let test;
  if (spec.testImages && spec.testLabels) {
    const held = await readPair(spec.testImages, spec.testLabels, context, 'test', context.testSamples ?? Infinity);
    if (held.inputShape.join() !== main.inputShape.join()) {
      throw new Error(
        `training.dataset.idx: test images are ${held.inputShape.join('×')} but training images are ${main.inputShape.join('×')}; use matching files`,
      );
    }
    test = held.samples;
  } else {
    ({ train, test } = holdOut(main.samples, HOLD_OUT, shuffledIndices(main.samples.count, context.seed + 1)));
  }
  return {
    name: spec.images,
    inputShape: main.inputShape,
    numClasses: classCount(train, test),
    classNames: null,
    train,
    test,
  };
}
