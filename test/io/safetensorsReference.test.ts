/**
 * Checks the engine against the Python reference reader in
 * scripts/reference/generate_safetensors_fixtures.py, written from the format
 * description with numpy only. Needs /usr/bin/python3 with numpy. Without them
 * the tests are skipped with a message.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from '../../src/engine/io/safetensors';
import { Rng } from '../../src/engine/tensor/random';
import { shapeElementCount } from '../../src/engine/tensor/tensor';
import { buildSafetensors, entry, INVALID_CASES } from './safetensorsCases';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../scripts/reference/generate_safetensors_fixtures.py', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/safetensors/', import.meta.url));

const pythonCheck = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
const hasNumpy = pythonCheck.status === 0;
if (!hasNumpy) {
  console.warn(
    `Skipping the safetensors reference checks: ${PYTHON} with numpy is not available ` +
      `(${pythonCheck.error?.message ?? pythonCheck.stderr.trim().split('\n').pop()}). Install python3-numpy to run them.`,
  );
}

interface ReferenceOutput {
  header_bytes: number;
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: Array<number | string> }>;
}

const workDir = mkdtempSync(join(tmpdir(), 'tensorloom-safetensors-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Output limit for the reference reader. All 65536 F16 values printed as JSON take about 3 MB. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

function readWithReference(path: string): ReferenceOutput {
  const result = spawnSync(PYTHON, [SCRIPT, 'read', path], { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES });
  if (result.status !== 0) {
    throw new Error(`The reference reader failed on ${path}: ${result.error?.message ?? result.stderr}`);
  }
  return JSON.parse(result.stdout) as ReferenceOutput;
}

function bitsOf(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

function referenceBits(values: Array<number | string>): number[] {
  return bitsOf(Float32Array.from(values, (value) => (typeof value === 'number' ? value : Number(value))));
}

describe.skipIf(!hasNumpy)('safetensors reference reader', () => {
  it('reads encoder output value for value', () => {
    const rng = new Rng(11);
    const shapes: ReadonlyArray<readonly number[]> = [[], [0], [2, 0], [5], [3, 4], [2, 2, 3]];
    const tensors = new Map<string, SafetensorsInputTensor>();
    shapes.forEach((shape, index) => {
      const data = Float32Array.from({ length: shapeElementCount(shape) }, () => rng.normal());
      tensors.set(`blocks.${index}.w`, { shape, data });
    });
    tensors.set('special', { shape: [5], data: Float32Array.of(-0, Infinity, -Infinity, 1.4e-45, 3.4028234663852886e38) });
    const metadata = { format: 'pt', epochs: '3', note: 'poids ✓' };
    const path = join(workDir, 'encoded.safetensors');
    writeFileSync(path, encodeSafetensors(tensors, metadata));

    const read = readWithReference(path);

    expect(read.header_bytes % 8).toBe(0);
    expect(read.metadata).toEqual(metadata);
    expect(Object.keys(read.tensors)).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      expect(read.tensors[name].dtype, name).toBe('F32');
      expect(read.tensors[name].shape, name).toEqual([...tensor.shape]);
      expect(referenceBits(read.tensors[name].values), name).toEqual(bitsOf(tensor.data));
    }
  });

  it('converts every F16 and BF16 value alike', () => {
    // Each of the 65536 bit patterns once, as both dtypes.
    const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const patternBytes = new Uint8Array(patterns.buffer);
    const data = new Uint8Array(2 * patternBytes.byteLength);
    data.set(patternBytes, 0);
    data.set(patternBytes, patternBytes.byteLength);
    const header = {
      half: entry('F16', [65536], [0, 131072]),
      brain: entry('BF16', [256, 256], [131072, 262144]),
    };
    const path = join(workDir, 'all-16-bit.safetensors');
    const file = buildSafetensors(header, data);
    writeFileSync(path, file);

    const read = readWithReference(path);
    const decoded = decodeSafetensors(file);

    // Compared as numbers, because the reference prints every NaN as "NaN" and so drops BF16 NaN payloads.
    // toEqual still distinguishes -0 from 0 and treats NaN as equal to NaN.
    for (const name of ['half', 'brain']) {
      const expected = read.tensors[name].values.map((value) => Math.fround(typeof value === 'number' ? value : Number(value)));
      expect([...decoded.tensors.get(name)!.data], name).toEqual(expected);
    }
  });

  it('reads the committed fixtures as expected', () => {
    for (const fixture of ['mixed_dtypes', 'special_values', 'padded_header']) {
      const read = readWithReference(`${FIXTURES}${fixture}.safetensors`);
      const expected = JSON.parse(readFileSync(`${FIXTURES}${fixture}.expected.json`, 'utf8')) as ReferenceOutput;
      expect(read, fixture).toEqual(expected);
    }
  });

  it('rejects every file the engine rejects', () => {
    const paths = INVALID_CASES.map((invalid, index) => {
      const path = join(workDir, `invalid-${index}.safetensors`);
      writeFileSync(path, invalid.bytes);
      return path;
    });

    const result = spawnSync(PYTHON, [SCRIPT, 'check', ...paths], { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES });
    expect(result.status, result.stderr).toBe(0);
    const verdicts = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { file: string; valid: boolean });

    expect(verdicts.map((verdict) => verdict.file)).toEqual(paths);
    const accepted = INVALID_CASES.filter((_, index) => verdicts[index].valid).map((invalid) => invalid.description);
    expect(accepted).toEqual([]);
  });
});
