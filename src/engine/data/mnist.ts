/**
 * The bundled MNIST digits: 10,000 grayscale 28x28 images with pixels in [0, 1],
 * given as one flat pixel array per digit class. Reading the files is the caller's
 * job (src/main/data/loadDataset.ts under Node), so this module stays pure.
 */

import { Rng } from '../tensor/random';
import { selectSamples, shuffledIndices, type Dataset, type DataSplit } from './dataset';

export const MNIST_IMAGE_SIDE = 28;
export const MNIST_PIXELS = MNIST_IMAGE_SIDE * MNIST_IMAGE_SIDE;
export const MNIST_CLASS_COUNT = 10;
/** Share of the shuffled digits that goes to training, with the rest for testing (8,000 / 2,000 of 10,000). */
export const MNIST_TRAIN_FRACTION = 0.8;

/**
 * Builds the MNIST dataset from one flat pixel array per digit class (index = label),
 * shuffles all digits with `seed` and splits them 80 / 20 into train and test.
 * Throws if a class is missing, an array is not a whole number of 784-pixel images,
 * or a pixel is outside [0, 1].
 */
export function buildMnistDataset(digitPixels: readonly ArrayLike<number>[], seed: number): Dataset {
  if (digitPixels.length !== MNIST_CLASS_COUNT) {
    throw new Error(`MNIST needs one pixel array per digit 0 to 9, got ${digitPixels.length} arrays.`);
  }

  const countsPerDigit = digitPixels.map((pixels, digit) => {
    if (pixels.length === 0 || pixels.length % MNIST_PIXELS !== 0) {
      throw new Error(
        `MNIST digit ${digit} has ${pixels.length} pixels, which is not a whole number of ${MNIST_PIXELS}-pixel images.`,
      );
    }
    return pixels.length / MNIST_PIXELS;
  });
  const total = countsPerDigit.reduce((sum, count) => sum + count, 0);

  const all: DataSplit = { features: new Float32Array(total * MNIST_PIXELS), labels: new Int32Array(total), count: total };
  let row = 0;
  for (let digit = 0; digit < MNIST_CLASS_COUNT; digit++) {
    const pixels = digitPixels[digit];
    const offset = row * MNIST_PIXELS;
    for (let i = 0; i < pixels.length; i++) {
      const value = pixels[i];
      // The negated range test also rejects NaN.
      if (!(value >= 0 && value <= 1)) {
        const image = Math.floor(i / MNIST_PIXELS);
        throw new Error(
          `MNIST digit ${digit}, image ${image}, pixel ${i % MNIST_PIXELS} is ${value}. Pixels must be in [0, 1]. Reinstall the mnist package.`,
        );
      }
      all.features[offset + i] = value;
    }
    all.labels.fill(digit, row, row + countsPerDigit[digit]);
    row += countsPerDigit[digit];
  }

  const order = shuffledIndices(total, new Rng(seed));
  const trainCount = Math.round(total * MNIST_TRAIN_FRACTION);
  return {
    id: 'mnist',
    featureShape: [MNIST_PIXELS],
    classCount: MNIST_CLASS_COUNT,
    train: selectSamples(all, order.subarray(0, trainCount), MNIST_PIXELS),
    test: selectSamples(all, order.subarray(trainCount), MNIST_PIXELS),
    image: { width: MNIST_IMAGE_SIDE, height: MNIST_IMAGE_SIDE },
  };
}
