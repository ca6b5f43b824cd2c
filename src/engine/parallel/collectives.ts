/**
 * Collectives over a process group: all-reduce, all-gather, reduce-scatter and
 * broadcast on Float32Array buffers.
 *
 * All-reduce is a ring: a reduce-scatter leaves each member with one chunk summed
 * over the group, then an all-gather passes the summed chunks around. The partial
 * sum of a chunk travels once round the ring, starting at the member after the
 * chunk's owner, and each member adds its own values in turn. So every chunk is
 * summed in a fixed order, and the other members receive copies of the owner's sum.
 * The result is therefore the same bit for bit on every member and from run to run.
 * It can differ from a sum in group-rank order in the last bits, because float
 * addition is not associative.
 *
 * Every member of a group must call the same collectives in the same order with
 * buffers of the same length. A collective that receives a chunk of another length
 * rejects with an error. Each collective returns a new array and leaves its input
 * unchanged. A group of one member returns a copy without sending anything.
 */

import type { CollectiveKind } from './accounting';
import type { ProcessGroup } from './group';
import { concatAlong, evenChunkBounds, gatheredShape, shardAlong } from './sharding';
import { formatShape, shapeElementCount, type Shape } from '../tensor/tensor';

export { concatAlong, shardAlong } from './sharding';

export type ReduceOp = 'sum' | 'mean';

/** Row-major shape of a buffer and the axis along which it is split or joined. */
export interface AxisSpec {
  shape: Shape;
  axis: number;
}

export interface ReduceScatterOptions {
  op?: ReduceOp;
  /**
   * Scatter equal shards along an axis of the buffer's shape, which must divide by
   * the group size. Without it the flat buffer is cut into contiguous chunks as even
   * as possible, the longer ones on the lower ranks.
   */
  split?: AxisSpec;
}

/** Returns the element-wise sum (or mean) of `buffer` over the members of `group`. */
export async function allReduce(group: ProcessGroup, buffer: Float32Array, op: ReduceOp = 'sum'): Promise<Float32Array> {
  const exchange = new Exchange(group, 'all-reduce');
  exchange.validateBuffer(buffer);
  validateReduceOp(exchange, op);
  if (group.size === 1) return buffer.slice();

  const bounds = evenChunkBounds(buffer.length, group.size);
  const chunks = bounds.map(({ start, end }) => buffer.subarray(start, end));
  const reduced = await ringReduceScatter(exchange, chunks);
  if (op === 'mean') divideInPlace(reduced, group.size);

  const gathered = await ringAllGather(exchange, reduced, (index) => chunks[index].length);
  const result = new Float32Array(buffer.length);
  gathered.forEach((chunk, index) => result.set(chunk, bounds[index].start));
  return result;
}

/**
 * Returns the sum (or mean) over the group of this member's part of `buffer`: chunk
 * `group.rank` of the flat buffer, or shard `group.rank` along `options.split.axis`.
 */
export async function reduceScatter(
  group: ProcessGroup,
  buffer: Float32Array,
  options: ReduceScatterOptions = {},
): Promise<Float32Array> {
  const exchange = new Exchange(group, 'reduce-scatter');
  exchange.validateBuffer(buffer);
  const op = options.op ?? 'sum';
  validateReduceOp(exchange, op);

  let chunks: Float32Array[];
  if (options.split === undefined) {
    chunks = evenChunkBounds(buffer.length, group.size).map(({ start, end }) => buffer.subarray(start, end));
  } else {
    const { shape, axis } = options.split;
    exchange.validateShape(buffer, shape);
    chunks = Array.from({ length: group.size }, (_, index) => shardAlong(buffer, shape, axis, group.size, index));
  }
  if (group.size === 1) return chunks[0].slice();

  const reduced = await ringReduceScatter(exchange, chunks);
  if (op === 'mean') divideInPlace(reduced, group.size);
  return reduced;
}

/**
 * Returns every member's `shard` joined in group-rank order. With `layout`, each
 * shard has `layout.shape` and they are joined along `layout.axis`, so the result has
 * that shape with the axis `group.size` times longer. Without it the flat shards are
 * concatenated, and they may differ in length.
 */
export async function allGather(group: ProcessGroup, shard: Float32Array, layout?: AxisSpec): Promise<Float32Array> {
  const exchange = new Exchange(group, 'all-gather');
  exchange.validateBuffer(shard);
  let fullShape: number[] | undefined;
  if (layout !== undefined) {
    exchange.validateShape(shard, layout.shape);
    fullShape = gatheredShape(layout.shape, layout.axis, group.size);
  }
  if (group.size === 1) return shard.slice();

  const expectedLength = layout === undefined ? undefined : () => shard.length;
  const shards = await ringAllGather(exchange, shard, expectedLength);
  if (layout !== undefined && fullShape !== undefined) return concatAlong(shards, fullShape, layout.axis);

  const result = new Float32Array(shards.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of shards) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/**
 * Returns the `buffer` of group rank `root` on every member, sent down a binomial
 * tree so the root sends to at most log2(size) members. Every member passes a buffer
 * of the root's length; only the root's values are used.
 */
export async function broadcast(group: ProcessGroup, buffer: Float32Array, root: number): Promise<Float32Array> {
  const exchange = new Exchange(group, 'broadcast');
  exchange.validateBuffer(buffer);
  if (!Number.isInteger(root) || root < 0 || root >= group.size) {
    throw new Error(`broadcast on group '${group.name}' got root ${root}: use a group rank from 0 to ${group.size - 1}.`);
  }
  if (group.size === 1) return buffer.slice();

  // Ranks relative to the root: relative rank v receives from v minus its highest set bit,
  // then sends to v + 2^k for every 2^k above that bit.
  const relative = mod(group.rank - root, group.size);
  const toGroupRank = (relativeRank: number): number => mod(relativeRank + root, group.size);
  let data: Float32Array;
  let step: number;
  if (relative === 0) {
    data = buffer.slice();
    step = 1;
  } else {
    const highestBit = 2 ** Math.floor(Math.log2(relative));
    data = await exchange.receive(toGroupRank(relative - highestBit), buffer.length, 'the broadcast buffer');
    step = highestBit * 2;
  }

  for (; step < group.size; step *= 2) {
    const child = relative + step;
    if (child < group.size) exchange.send(toGroupRank(child), data);
  }
  return data;
}

/**
 * Sums `chunks` (one per member, indexed by group rank) around the ring and returns
 * chunk `group.rank` summed over the group. At step s a member sends the partial sum
 * of chunk rank - s - 1 to the next member and adds its own values to the partial sum
 * of chunk rank - s - 2 from the previous one.
 */
async function ringReduceScatter(exchange: Exchange, chunks: readonly Float32Array[]): Promise<Float32Array> {
  const { rank, size } = exchange.group;
  const next = mod(rank + 1, size);
  const previous = mod(rank - 1, size);

  let outgoing = chunks[mod(rank - 1, size)];
  for (let step = 0; step < size - 1; step++) {
    exchange.send(next, outgoing);

    const index = mod(rank - step - 2, size);
    const own = chunks[index];
    // The received array belongs to this member, so the sum goes into it in place.
    const partial = await exchange.receive(previous, own.length, `chunk ${index}`);
    for (let i = 0; i < partial.length; i++) partial[i] += own[i];
    outgoing = partial;
  }
  return outgoing;
}

/**
 * Passes each member's `own` chunk around the ring and returns all chunks by group
 * rank. `expectedLength`, when given, returns the length that chunk `index` must have.
 */
async function ringAllGather(
  exchange: Exchange,
  own: Float32Array,
  expectedLength?: (index: number) => number,
): Promise<Float32Array[]> {
  const { rank, size } = exchange.group;
  const next = mod(rank + 1, size);
  const previous = mod(rank - 1, size);

  const gathered: Float32Array[] = new Array<Float32Array>(size);
  gathered[rank] = own;
  for (let step = 0; step < size - 1; step++) {
    exchange.send(next, gathered[mod(rank - step, size)]);

    const index = mod(rank - step - 1, size);
    gathered[index] = await exchange.receive(previous, expectedLength?.(index), `chunk ${index}`);
  }
  return gathered;
}

/** One collective call: its tag, and the sends and receives charged to the group's accounting. */
class Exchange {
  private readonly tag: string;

  constructor(
    readonly group: ProcessGroup,
    readonly kind: CollectiveKind,
  ) {
    this.tag = group.nextTag(kind);
    group.accounting.recordCall(kind);
  }

  send(groupRank: number, data: Float32Array): void {
    this.group.transport.send(this.group.worldRankOf(groupRank), this.tag, data);
    this.group.accounting.recordSent(this.kind, data.byteLength);
  }

  async receive(groupRank: number, expectedLength: number | undefined, payloadName: string): Promise<Float32Array> {
    const data = await this.group.transport.receive(this.group.worldRankOf(groupRank), this.tag);
    this.group.accounting.recordReceived(this.kind, data.byteLength);
    if (expectedLength !== undefined && data.length !== expectedLength) {
      throw new Error(
        `${this.kind} on group '${this.group.name}': group rank ${this.group.rank} expected ${expectedLength} elements for ${payloadName} from group rank ${groupRank} but got ${data.length}. Every member must pass a buffer of the same length.`,
      );
    }
    return data;
  }

  validateBuffer(buffer: unknown): void {
    if (!(buffer instanceof Float32Array)) {
      throw new Error(`${this.kind} on group '${this.group.name}' needs a Float32Array buffer.`);
    }
  }

  validateShape(buffer: Float32Array, shape: Shape): void {
    if (buffer.length !== shapeElementCount(shape)) {
      throw new Error(
        `${this.kind} on group '${this.group.name}' got ${buffer.length} elements, but shape ${formatShape(shape)} needs ${shapeElementCount(shape)}.`,
      );
    }
  }
}

function validateReduceOp(exchange: Exchange, op: string): void {
  if (op !== 'sum' && op !== 'mean') {
    throw new Error(`${exchange.kind} on group '${exchange.group.name}' got reduce op '${op}': use 'sum' or 'mean'.`);
  }
}

function divideInPlace(values: Float32Array, divisor: number): void {
  for (let i = 0; i < values.length; i++) values[i] /= divisor;
}

/** Returns the remainder of `value / modulus` in [0, modulus), also for negative values. */
function mod(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}
