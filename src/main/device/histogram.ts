import type { Histogram } from '../../shared/api';

export const HISTOGRAM_BIN_COUNT = 24;

/**
 * Counts `values` into `binCount` equal-width bins spanning their range. Non-finite
 * values are skipped; when every value is equal, the bins span value ± 0.5.
 */
export function histogram(values: Float32Array, binCount = HISTOGRAM_BIN_COUNT): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === Infinity) return { edges: [0, 1], counts: [0] };
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }

  const width = (max - min) / binCount;
  const edges = Array.from({ length: binCount + 1 }, (_, i) => min + i * width);
  edges[binCount] = max;
  const counts = new Array<number>(binCount).fill(0);
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    // The maximum itself belongs to the last bin, which is closed on the right.
    const bin = Math.min(binCount - 1, Math.floor((value - min) / width));
    counts[bin] += 1;
  }
  return { edges, counts };
}
