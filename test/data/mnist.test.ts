import { describe, expect, it } from 'vitest';
import { loadDataset, readMnistDigits } from '../../src/main/data/loadDataset';
import { buildMnistDataset, MNIST_PIXELS } from '../../src/engine/data/mnist';

function labelCounts(labels: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const label of labels) counts[label] += 1;
  return counts;
}

/** Compares element by element, because deep equality on 1.5 million floats is slow. */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('MNIST dataset from the mnist package', () => {
  const dataset = loadDataset({ id: 'mnist' }, 42);

  it('splits 10,000 digits into 8,000 train and 2,000 test', () => {
    expect(dataset.train.count).toBe(8000);
    expect(dataset.test.count).toBe(2000);
    expect(dataset.train.features.length).toBe(8000 * MNIST_PIXELS);
    expect(dataset.test.labels.length).toBe(2000);
  });

  it('describes its samples as 784 features and 10 classes', () => {
    expect(dataset.featureShape).toEqual([784]);
    expect(dataset.classCount).toBe(10);
    expect(dataset.image).toEqual({ width: 28, height: 28 });
  });

  it('keeps every pixel in [0, 1]', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const value of dataset.train.features) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('shuffles so both splits hold every digit', () => {
    const train = labelCounts(dataset.train.labels, 10);
    const test = labelCounts(dataset.test.labels, 10);
    expect(Math.min(...train)).toBeGreaterThan(600);
    expect(Math.min(...test)).toBeGreaterThan(100);
  });

  it('gives the same split for the same seed', () => {
    const again = loadDataset({ id: 'mnist' }, 42);
    expect(again.train.labels).toEqual(dataset.train.labels);
    expect(sameValues(again.test.features, dataset.test.features)).toBe(true);
  });

  it('gives a different split for another seed', () => {
    const other = loadDataset({ id: 'mnist' }, 7);
    expect(other.train.labels).not.toEqual(dataset.train.labels);
  });

  it('applies trainLimit and testLimit after shuffling', () => {
    const limited = loadDataset({ id: 'mnist', trainLimit: 500, testLimit: 100 }, 42);
    expect(limited.train.count).toBe(500);
    expect(limited.test.count).toBe(100);
    expect(limited.train.labels).toEqual(dataset.train.labels.slice(0, 500));
    expect(limited.test.features.length).toBe(100 * MNIST_PIXELS);
  });

  it('treats a limit of 0 as all samples', () => {
    const all = loadDataset({ id: 'mnist', trainLimit: 0, testLimit: 0 }, 42);
    expect(all.train.count).toBe(8000);
    expect(all.test.count).toBe(2000);
  });

  it('caches the parsed digit files', () => {
    expect(readMnistDigits()).toBe(readMnistDigits());
  });
});

describe('buildMnistDataset', () => {
  const tinyDigits = (value: number): Float32Array[] =>
    Array.from({ length: 10 }, () => new Float32Array(5 * MNIST_PIXELS).fill(value));

  it('splits any digit count 80 / 20', () => {
    const dataset = buildMnistDataset(tinyDigits(0.5), 1);
    expect(dataset.train.count).toBe(40);
    expect(dataset.test.count).toBe(10);
  });

  it('rejects a missing digit class', () => {
    expect(() => buildMnistDataset(tinyDigits(0.5).slice(0, 9), 1)).toThrow(/one pixel array per digit 0 to 9, got 9/);
  });

  it('rejects a partial image', () => {
    const digits = tinyDigits(0.5);
    digits[3] = new Float32Array(MNIST_PIXELS + 10);
    expect(() => buildMnistDataset(digits, 1)).toThrow(/digit 3 has 794 pixels/);
  });

  it('rejects a pixel above 1', () => {
    const digits = tinyDigits(0.5);
    digits[2][MNIST_PIXELS + 5] = 255;
    expect(() => buildMnistDataset(digits, 1)).toThrow(/digit 2, image 1, pixel 5 is 255/);
  });

  it('rejects a pixel that is not a number', () => {
    const digits = tinyDigits(0.5);
    digits[0][0] = Number.NaN;
    expect(() => buildMnistDataset(digits, 1)).toThrow(/Pixels must be in \[0, 1\]/);
  });
});
