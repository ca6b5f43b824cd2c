/**
 * A process group: the subset of world ranks that take part in a collective, such
 * as the tensor-parallel group {0, 1} or the data-parallel group {0, 2} of a 2×2
 * mesh. Members are numbered 0 to size - 1 in the order their world ranks are given,
 * and collectives address peers by that group rank.
 */

import { CollectiveAccounting, type CollectiveKind } from './accounting';
import type { Transport } from './transport';

export interface ProcessGroupOptions {
  /**
   * Prefix of every message tag the group sends. Two groups over the same ranks that
   * run collectives at the same time need different names. Defaults to the ranks, as
   * in `ranks[0,2]`.
   */
  name?: string;
  /** Counters to charge; share one per device so its groups add up. Defaults to new counters. */
  accounting?: CollectiveAccounting;
}

export class ProcessGroup {
  /** World rank of each member, indexed by group rank. */
  readonly worldRanks: readonly number[];
  /** This device's rank within the group. */
  readonly rank: number;
  readonly name: string;
  readonly accounting: CollectiveAccounting;
  private collectiveCount = 0;

  constructor(
    readonly transport: Transport,
    worldRanks: readonly number[],
    options: ProcessGroupOptions = {},
  ) {
    validateGroupRanks(transport, worldRanks);
    this.worldRanks = Object.freeze([...worldRanks]);
    this.rank = worldRanks.indexOf(transport.rank);
    this.name = options.name ?? `ranks[${worldRanks.join(',')}]`;
    this.accounting = options.accounting ?? new CollectiveAccounting();
  }

  /** Number of members. */
  get size(): number {
    return this.worldRanks.length;
  }

  worldRankOf(groupRank: number): number {
    const worldRank = this.worldRanks[groupRank];
    if (worldRank === undefined) {
      throw new Error(`Group '${this.name}' has no rank ${groupRank}: its ranks run from 0 to ${this.size - 1}.`);
    }
    return worldRank;
  }

  /**
   * Returns a fresh tag for the next collective. Every member counts its calls, so
   * the tags match only if all members call the group's collectives in the same order,
   * the usual rule for collectives.
   */
  nextTag(kind: CollectiveKind): string {
    const tag = `${this.name}#${this.collectiveCount}:${kind}`;
    this.collectiveCount += 1;
    return tag;
  }
}

/** Creates the group of `worldRanks` as seen from the device that owns `transport`. */
export function createGroup(transport: Transport, worldRanks: readonly number[], options: ProcessGroupOptions = {}): ProcessGroup {
  return new ProcessGroup(transport, worldRanks, options);
}

/** Creates the group of every rank in the world, in rank order. */
export function createWorldGroup(transport: Transport, options: ProcessGroupOptions = {}): ProcessGroup {
  const worldRanks = Array.from({ length: transport.worldSize }, (_, rank) => rank);
  return new ProcessGroup(transport, worldRanks, { name: 'world', ...options });
}

function validateGroupRanks(transport: Transport, worldRanks: readonly number[]): void {
  if (worldRanks.length === 0) {
    throw new Error(`A process group needs at least one rank, got an empty list on rank ${transport.rank}.`);
  }
  const seen = new Set<number>();
  for (const worldRank of worldRanks) {
    if (!Number.isInteger(worldRank) || worldRank < 0 || worldRank >= transport.worldSize) {
      throw new Error(
        `Invalid rank ${worldRank} in process group [${worldRanks.join(', ')}]: ranks must be integers from 0 to ${transport.worldSize - 1}.`,
      );
    }
    if (seen.has(worldRank)) {
      throw new Error(`Rank ${worldRank} appears twice in process group [${worldRanks.join(', ')}]: list each rank once.`);
    }
    seen.add(worldRank);
  }
  if (!seen.has(transport.rank)) {
    throw new Error(
      `Rank ${transport.rank} is not a member of process group [${worldRanks.join(', ')}]: create a group only on its members.`,
    );
  }
}
