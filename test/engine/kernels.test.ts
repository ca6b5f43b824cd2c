import { describe, expect, test } from 'vitest';
import { matmulInto, matmulTransposeAInto, matmulTransposeBInto } from '../../src/engine/kernels/matmul';
import { Rng } from '../../src/engine/tensor/random';

function randomMatrix(rows: number, columns: number, rng: Rng): Float32Array {
  const data = new Float32Array(rows * columns);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-1, 1);
  return data;
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) result[c * rows + r] = data[r * columns + c];
  return result;
}

/** Computes A·B with a plain triple loop in float64, as the reference for the blocked kernels. */
function referenceProduct(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let p = 0; p < k; p++) total += a[i * k + p] * b[p * n + j];
      out[i * n + j] = total;
    }
  }
  return out;
}

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

// Sizes straddle the register tiles and the cache blocks of every kernel, plus degenerate ones.
const SIZES: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 2],
  [4, 4, 4],
  [7, 65, 9],
  [9, 130, 259],
  [16, 3, 300],
  [5, 600, 70],
  [0, 4, 3],
  [3, 0, 4],
];

describe('matmul kernels', () => {
  for (const [m, k, n] of SIZES) {
    const rng = new Rng(m * 10_000 + k * 100 + n);
    const a = randomMatrix(m, k, rng);
    const b = randomMatrix(k, n, rng);
    const expected = referenceProduct(a, b, m, k, n);
    // float32 accumulation over k terms of size ≤ 1.
    const tolerance = 1e-6 * Math.max(k, 1);

    test(`matmulInto matches the triple loop for ${m}x${k}x${n}`, () => {
      const out = new Float32Array(m * n);
      matmulInto(a, b, out, m, k, n);
      expect(maxDifference(out, expected)).toBeLessThanOrEqual(tolerance);
    });

    test(`matmulTransposeBInto matches the triple loop for ${m}x${k}x${n}`, () => {
      const out = new Float32Array(m * n);
      matmulTransposeBInto(a, transpose(b, k, n), out, m, k, n);
      expect(maxDifference(out, expected)).toBeLessThanOrEqual(tolerance);
    });

    test(`matmulTransposeAInto matches the triple loop for ${m}x${k}x${n}`, () => {
      const out = new Float32Array(m * n);
      matmulTransposeAInto(transpose(a, m, k), b, out, m, k, n);
      expect(maxDifference(out, expected)).toBeLessThanOrEqual(tolerance);
    });
  }

  test('matmul kernels overwrite a dirty output buffer', () => {
    const rng = new Rng(99);
    const a = randomMatrix(5, 6, rng);
    const b = randomMatrix(6, 7, rng);
    const expected = referenceProduct(a, b, 5, 6, 7);
    for (const run of [
      (out: Float32Array) => matmulInto(a, b, out, 5, 6, 7),
      (out: Float32Array) => matmulTransposeBInto(a, transpose(b, 6, 7), out, 5, 6, 7),
      (out: Float32Array) => matmulTransposeAInto(transpose(a, 5, 6), b, out, 5, 6, 7),
    ]) {
      const out = new Float32Array(35).fill(123);
      run(out);
      expect(maxDifference(out, expected)).toBeLessThanOrEqual(1e-5);
    }
  });

  test('matmulInto rejects a short output buffer', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(12);
    expect(() => matmulInto(a, b, new Float32Array(7), 2, 3, 4)).toThrow(
      'matmulInto: buffers are too short, a has 6 (needs 6), b has 12 (needs 12), out has 7 (needs 8).',
    );
  });
});
