/** Shared pieces of the parallel tests: seeded data, serial references and running one function per rank. */

import { Rng } from '../../src/engine/tensor/random';
import { createMemoryMesh, type MemoryTransport } from '../../src/engine/parallel/memoryTransport';

/** Returns `length` standard-normal values from a generator seeded with `seed`. */
export function randomValues(seed: number, length: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

/** Returns `length` small integers in [-8, 8), whose float32 sums are exact in any order. */
export function randomIntegers(seed: number, length: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, () => rng.int(16) - 8);
}

/** Sums the buffers element by element in float64, in rank order. */
export function serialSum(buffers: readonly Float32Array[]): Float64Array {
  const sum = new Float64Array(buffers[0].length);
  for (const buffer of buffers) {
    for (let i = 0; i < sum.length; i++) sum[i] += buffer[i];
  }
  return sum;
}

/** Returns the largest |actual - expected| divided by max(1, |expected|) over all elements. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, error);
  }
  return worst;
}

/** Returns whether two arrays have the same length and the same bits in every element. */
export function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return aBits.every((bits, i) => bits === bBits[i]);
}

/** Creates a memory mesh of `worldSize` ranks, runs `body` on every rank at once and returns the results by rank. */
export async function runOnMemoryMesh<T>(
  worldSize: number,
  body: (transport: MemoryTransport) => Promise<T>,
): Promise<T[]> {
  const transports = createMemoryMesh(worldSize);
  const results = await Promise.all(transports.map((transport) => body(transport)));
  for (const transport of transports) {
    if (transport.inbox.openMailboxCount !== 0) {
      throw new Error(`Rank ${transport.rank} has ${transport.inbox.openMailboxCount} unmatched mailboxes after the run.`);
    }
  }
  return results;
}
