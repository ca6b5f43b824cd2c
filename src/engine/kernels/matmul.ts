/**
 * Row-major single-precision matrix multiply kernels, the hot loops of linear
 * layers and their backward passes.
 *
 * Every kernel OVERWRITES `out` (it never reads its previous contents), so a
 * caller may pass a recycled buffer. `out` must not alias `a` or `b`.
 *
 * Speed comes from loop order, cache blocking and register blocking, not SIMD:
 * - `matmulInto` and `matmulTransposeAInto` run i-k-j over blocks of B that
 *   stay in cache. Each pass of the inner loop updates a 4×4 tile, four rows of
 *   C from four rows of B, so every element of B loaded feeds four rows and
 *   every element of C loaded takes four multiply-adds.
 * - `matmulTransposeBInto` computes dot products of contiguous rows, two rows
 *   of A against four rows of B at a time with eight sums in flight, over
 *   blocks of B that stay in cache.
 * None of them allocates.
 */

/** Rows of B (the shared dimension) per cache block. */
const K_BLOCK = 64;
/** Columns of B and C per cache block: a 64 × 256 block of B is 64 KiB. */
const N_BLOCK = 256;

function checkLengths(name: string, a: Float32Array, aLength: number, b: Float32Array, bLength: number, out: Float32Array, outLength: number): void {
  if (a.length < aLength || b.length < bLength || out.length < outLength) {
    throw new Error(
      `${name}: buffers are too short, a has ${a.length} (needs ${aLength}), b has ${b.length} (needs ${bLength}), out has ${out.length} (needs ${outLength}).`,
    );
  }
}

/** Computes C = A·B with A [m, k], B [k, n], C [m, n], overwriting `out`. */
export function matmulInto(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  checkLengths('matmulInto', a, m * k, b, k * n, out, m * n);
  multiplyBlocked(a, k, 1, b, out, m, k, n);
}

/** Computes C = Aᵀ·B with A [k, m], B [k, n], C [m, n], overwriting `out`. */
export function matmulTransposeAInto(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  checkLengths('matmulTransposeAInto', a, k * m, b, k * n, out, m * n);
  multiplyBlocked(a, 1, m, b, out, m, k, n);
}

/**
 * Computes C = Â·B, where element (i, p) of Â is `a[i * aRowStride + p * aColStride]`,
 * so one loop serves A (strides k, 1) and Aᵀ (strides 1, m). A is read only
 * outside the innermost loop, where the strides cost nothing.
 */
function multiplyBlocked(
  a: Float32Array,
  aRowStride: number,
  aColStride: number,
  b: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  out.fill(0, 0, m * n);

  for (let j0 = 0; j0 < n; j0 += N_BLOCK) {
    const j1 = Math.min(j0 + N_BLOCK, n);
    for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
      const p1 = Math.min(p0 + K_BLOCK, k);

      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        const r0 = i * aRowStride;
        const r1 = r0 + aRowStride;
        const r2 = r1 + aRowStride;
        const r3 = r2 + aRowStride;

        let p = p0;
        for (; p + 4 <= p1; p += 4) {
          const q0 = p * aColStride;
          const q1 = q0 + aColStride;
          const q2 = q1 + aColStride;
          const q3 = q2 + aColStride;
          const a00 = a[r0 + q0], a01 = a[r0 + q1], a02 = a[r0 + q2], a03 = a[r0 + q3];
          const a10 = a[r1 + q0], a11 = a[r1 + q1], a12 = a[r1 + q2], a13 = a[r1 + q3];
          const a20 = a[r2 + q0], a21 = a[r2 + q1], a22 = a[r2 + q2], a23 = a[r2 + q3];
          const a30 = a[r3 + q0], a31 = a[r3 + q1], a32 = a[r3 + q2], a33 = a[r3 + q3];
          const b0 = p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            const y0 = b[b0 + j];
            const y1 = b[b1 + j];
            const y2 = b[b2 + j];
            const y3 = b[b3 + j];
            out[c0 + j] += a00 * y0 + a01 * y1 + a02 * y2 + a03 * y3;
            out[c1 + j] += a10 * y0 + a11 * y1 + a12 * y2 + a13 * y3;
            out[c2 + j] += a20 * y0 + a21 * y1 + a22 * y2 + a23 * y3;
            out[c3 + j] += a30 * y0 + a31 * y1 + a32 * y2 + a33 * y3;
          }
        }
        for (; p < p1; p++) {
          const q = p * aColStride;
          const x0 = a[r0 + q];
          const x1 = a[r1 + q];
          const x2 = a[r2 + q];
          const x3 = a[r3 + q];
          const b0 = p * n;
          for (let j = j0; j < j1; j++) {
            const y = b[b0 + j];
            out[c0 + j] += x0 * y;
            out[c1 + j] += x1 * y;
            out[c2 + j] += x2 * y;
            out[c3 + j] += x3 * y;
          }
        }
      }

      for (; i < m; i++) {
        const c0 = i * n;
        const r0 = i * aRowStride;
        for (let p = p0; p < p1; p++) {
          const x = a[r0 + p * aColStride];
          const b0 = p * n;
          for (let j = j0; j < j1; j++) out[c0 + j] += x * b[b0 + j];
        }
      }
    }
  }
}

/** Rows of B per cache block of `matmulTransposeBInto`: 32 rows × 256 columns is 32 KiB. */
const TRANSPOSED_ROW_BLOCK = 32;
/** Columns of A and B (the shared dimension) per cache block of `matmulTransposeBInto`. */
const TRANSPOSED_K_BLOCK = 256;

/** Computes C = A·Bᵀ with A [m, k], B [n, k], C [m, n], overwriting `out`. */
export function matmulTransposeBInto(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  checkLengths('matmulTransposeBInto', a, m * k, b, n * k, out, m * n);
  out.fill(0, 0, m * n);

  for (let j0 = 0; j0 < n; j0 += TRANSPOSED_ROW_BLOCK) {
    const j1 = Math.min(j0 + TRANSPOSED_ROW_BLOCK, n);
    for (let p0 = 0; p0 < k; p0 += TRANSPOSED_K_BLOCK) {
      const p1 = Math.min(p0 + TRANSPOSED_K_BLOCK, k);

      let i = 0;
      for (; i + 2 <= m; i += 2) {
        const a0 = i * k;
        const a1 = a0 + k;
        const o0 = i * n;
        const o1 = o0 + n;

        let j = j0;
        for (; j + 4 <= j1; j += 4) {
          const b0 = j * k;
          const b1 = b0 + k;
          const b2 = b1 + k;
          const b3 = b2 + k;
          let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
          let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
          for (let p = p0; p < p1; p++) {
            const x0 = a[a0 + p];
            const x1 = a[a1 + p];
            const y0 = b[b0 + p];
            const y1 = b[b1 + p];
            const y2 = b[b2 + p];
            const y3 = b[b3 + p];
            s00 += x0 * y0;
            s01 += x0 * y1;
            s02 += x0 * y2;
            s03 += x0 * y3;
            s10 += x1 * y0;
            s11 += x1 * y1;
            s12 += x1 * y2;
            s13 += x1 * y3;
          }
          out[o0 + j] += s00;
          out[o0 + j + 1] += s01;
          out[o0 + j + 2] += s02;
          out[o0 + j + 3] += s03;
          out[o1 + j] += s10;
          out[o1 + j + 1] += s11;
          out[o1 + j + 2] += s12;
          out[o1 + j + 3] += s13;
        }
        for (; j < j1; j++) {
          const b0 = j * k;
          let s0 = 0;
          let s1 = 0;
          for (let p = p0; p < p1; p++) {
            const y = b[b0 + p];
            s0 += a[a0 + p] * y;
            s1 += a[a1 + p] * y;
          }
          out[o0 + j] += s0;
          out[o1 + j] += s1;
        }
      }

      for (; i < m; i++) {
        const a0 = i * k;
        for (let j = j0; j < j1; j++) {
          const b0 = j * k;
          let s = 0;
          for (let p = p0; p < p1; p++) s += a[a0 + p] * b[b0 + p];
          out[i * n + j] += s;
        }
      }
    }
  }
}
