/**
 * IDX datasets from the workspace: `{ "idx": { "images": …, "labels": …, "testImages"?: …, "testLabels"?: … } }`.
 * Without test files, a seeded 20 % of the samples is held out as the test split.
 */
import { shuffledIndices } from '../training/random';
import { classCount, idxToSamples, readIdxFile } from './idx';
import { resolveWorkspaceFile } from './paths';
import { holdOut, type Dataset, type DatasetContext } from './types';

interface IdxSpec { images: string; labels: string; testImages?: string; testLabels?: string }

async function readPair(images: string, labels: string, context: DatasetContext, field: string) {
  const at = (file: string, key: string) => resolveWorkspaceFile(file, context.baseDir, context.workspaceRoot, `training.dataset.idx.${key}`);
  const imagesPath = at(images, field === 'test' ? 'testImages' : 'images');
  const labelsPath = at(labels, field === 'test' ? 'testLabels' : 'labels');
  return idxToSamples(await readIdxFile(imagesPath), await readIdxFile(labelsPath), { images, labels });
}

export async function loadIdxDataset(spec: IdxSpec, context: DatasetContext): Promise<Dataset> {
  if (!spec || typeof spec.images !== 'string' || typeof spec.labels !== 'string') {
    throw new Error('training.dataset.idx: give both "images" and "labels" paths');
  }
  if ((spec.testImages === undefined) !== (spec.testLabels === undefined)) {
    throw new Error('training.dataset.idx: give both "testImages" and "testLabels", or neither');
  }
  const main = await readPair(spec.images, spec.labels, context, 'train');
  let train = main.samples;
  let test;
  if (spec.testImages && spec.testLabels) {
    const held = await readPair(spec.testImages, spec.testLabels, context, 'test');
    if (held.inputShape.join() !== main.inputShape.join()) {
      throw new Error(`training.dataset.idx: test images are ${held.inputShape.join('×')} but training images are ${main.inputShape.join('×')}; use matching files`);
    }
    test = held.samples;
  } else {
    ({ train, test } = holdOut(main.samples, 0.2, shuffledIndices(main.samples.count, context.seed + 1)));
  }
  return { name: spec.images, inputShape: main.inputShape, numClasses: classCount(train, test), classNames: null, train, test };
}
