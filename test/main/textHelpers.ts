/** Tiny language-model projects on a text file, for the device, services and CLI tests. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRAINING, PROJECT_FORMAT, PROJECT_VERSION, type ProjectFile } from '../../src/shared/project';
import { gptGraph, type GptGraphOptions } from '../graph/textFixtures';

/** A short plain-English text written for these tests. */
export const TINY_TEXT =
  'The cat sat on the mat. The dog sat on the log. A cat and a dog sat in the sun, and the sun was warm. ' +
  'Then the cat ran to the mat and the dog ran to the log. The end of the day was calm and the cat slept on the mat.\n';

/** Writes `text` to `<folder>/<name>` and returns its path. */
export function writeText(folder: string, name: string, text = TINY_TEXT): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

/** Returns a one-block character model of width 16 with context 8 on the text file at `path`, trained a few steps per epoch. */
export function tinyTextProject(path: string, graph: GptGraphOptions = {}, training: Partial<ProjectFile['training']> = {}): ProjectFile {
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: 'tiny text',
    dataset: { id: 'text-file', path, tokenizer: 'char', validationFraction: 0.2 },
    training: {
      ...DEFAULT_TRAINING,
      epochs: 2,
      batchSize: 4,
      learningRate: 0.01,
      optimizer: 'adamw',
      seed: 5,
      stepsPerEpoch: 4,
      gradientClipNorm: 1,
      ...training,
    },
    graph: gptGraph({ contextLength: 8, width: 16, heads: 2, hiddenWidth: 32, ...graph }),
  };
}
