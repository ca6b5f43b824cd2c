/** Shared helpers of the export tests: the MNIST example project, stand-in trained weights, crafted safetensors files. */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialWeights, type WeightTensors } from '../../src/main/export/weights';
import { parseProject } from '../../src/engine/io/project';
import type { ProjectFile } from '../../src/shared/project';
import { buildSafetensors, entry } from '../io/safetensorsCases';
import { repoRoot, runProcess } from './helpers';

export const REFERENCE_READER = join(repoRoot, 'scripts/reference/generate_safetensors_fixtures.py');
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** True when /usr/bin/python3 can import numpy, which the reference reader needs. */
export const hasReferencePython = spawnSync(SYSTEM_PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** Loads resources/examples/mnist-mlp.json, the 784-128-64-10 MNIST classifier. */
export function mnistProject(): ProjectFile {
  const text = readFileSync(join(repoRoot, 'resources/examples/mnist-mlp.json'), 'utf8');
  const parsed = parseProject(text, 'mnist-mlp.json');
  if (!parsed.ok) throw new Error(`The MNIST example does not parse: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.project;
}

/**
 * Returns weights that fit `project` but differ from a fresh initialisation, as
 * trained ones would: every initial value is halved and shifted by a small ramp.
 */
export function trainedLikeWeights(project: ProjectFile): WeightTensors {
  const weights: WeightTensors = new Map();
  for (const [name, tensor] of initialWeights(project)) {
    const data = Float32Array.from(tensor.data, (value, i) => value * 0.5 + 0.001 * (i % 7));
    weights.set(name, { shape: [...tensor.shape], data });
  }
  return weights;
}

export { runCli } from './helpers';

/** Runs the Python reference reader's `read FILE` and returns its parsed JSON output. */
export async function readWithReference(path: string): Promise<{ tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>; metadata: Record<string, string> }> {
  const result = await runProcess(SYSTEM_PYTHON, [REFERENCE_READER, 'read', path]);
  if (result.exitCode !== 0) throw new Error(`The reference reader rejected ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}


export interface BadWeightsCase {
  name: string;
  bytes: Uint8Array;
  /** Part of the decoder's message that the error must contain. */
  message: string;
}

/** Safetensors files that each break one rule, as a user might have on disk. */
export function badWeightsCases(): BadWeightsCase[] {
  const valid = buildSafetensors({ 'fc1.bias': entry('F32', [2], [0, 8]) }, 8);
  return [
    { name: 'truncated', bytes: valid.subarray(0, 5), message: 'shorter than the 8-byte header length' },
    {
      name: 'header-past-end',
      bytes: buildSafetensors({ 'fc1.bias': entry('F32', [2], [0, 8]) }, 8, { claimedHeaderLength: 4096n }),
      message: 'the header length is 4096 bytes, but only',
    },
    {
      name: 'overlapping',
      bytes: buildSafetensors({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12),
      message: 'overlap tensor',
    },
    {
      name: 'out-of-range',
      bytes: buildSafetensors({ 'fc1.bias': entry('F32', [4], [0, 16]) }, 8),
      message: 'past the end of the 8-byte data buffer',
    },
    {
      name: 'unsupported-dtype',
      bytes: buildSafetensors({ 'fc1.bias': entry('I64', [1], [0, 8]) }, 8),
      message: 'has dtype "I64", which Tensorloom cannot read',
    },
    {
      name: 'non-finite-number',
      bytes: buildSafetensors('{"fc1.bias":{"dtype":"F32","shape":[1e999],"data_offsets":[0,8]}}', 8),
      message: 'has the invalid shape [Infinity]',
    },
  ];
}

/** Header length of the over-limit case: one byte over the 100 MB that readers accept. */
export const OVERSIZED_HEADER_BYTES = 100_000_001;
