/**
 * The device mesh: devices laid out as a data × tensor grid. A device's world rank
 * is `dataIndex * tensorSize + tensorIndex`, so the members of a tensor-parallel
 * group have consecutive ranks. In a 2×2 mesh the tensor groups are {0, 1} and
 * {2, 3}, and the data groups are {0, 2} and {1, 3}.
 */

import { CollectiveAccounting } from './accounting';
import { createGroup, ProcessGroup } from './group';
import type { Transport } from './transport';

export interface MeshShape {
  /** Number of data-parallel replicas, each seeing its own slice of the batch. */
  dataSize: number;
  /** Number of devices that shard each layer's weights. */
  tensorSize: number;
}

export interface MeshCoordinates {
  dataIndex: number;
  tensorIndex: number;
}

/** The groups one device belongs to. */
export interface DeviceGroups {
  /** Devices with the same tensor index: they hold the same weight shards and all-reduce gradients. */
  data: ProcessGroup;
  /** Devices with the same data index: together they hold one full replica of the model. */
  tensor: ProcessGroup;
  world: ProcessGroup;
}

export class DeviceMesh {
  readonly dataSize: number;
  readonly tensorSize: number;

  constructor(shape: MeshShape) {
    validateMeshDimension('dataSize', shape.dataSize);
    validateMeshDimension('tensorSize', shape.tensorSize);
    this.dataSize = shape.dataSize;
    this.tensorSize = shape.tensorSize;
  }

  /** Total number of devices. */
  get worldSize(): number {
    return this.dataSize * this.tensorSize;
  }

  rankOf(coordinates: MeshCoordinates): number {
    const { dataIndex, tensorIndex } = coordinates;
    if (!Number.isInteger(dataIndex) || dataIndex < 0 || dataIndex >= this.dataSize) {
      throw new Error(`Invalid data index ${dataIndex} in a ${this.describe()} mesh: use 0 to ${this.dataSize - 1}.`);
    }
    if (!Number.isInteger(tensorIndex) || tensorIndex < 0 || tensorIndex >= this.tensorSize) {
      throw new Error(`Invalid tensor index ${tensorIndex} in a ${this.describe()} mesh: use 0 to ${this.tensorSize - 1}.`);
    }
    return dataIndex * this.tensorSize + tensorIndex;
  }

  coordinatesOf(rank: number): MeshCoordinates {
    this.validateRank(rank);
    return { dataIndex: Math.floor(rank / this.tensorSize), tensorIndex: rank % this.tensorSize };
  }

  /** World ranks of the data-parallel group that contains `rank`, in data-index order. */
  dataGroupRanks(rank: number): number[] {
    const { tensorIndex } = this.coordinatesOf(rank);
    return Array.from({ length: this.dataSize }, (_, dataIndex) => this.rankOf({ dataIndex, tensorIndex }));
  }

  /** World ranks of the tensor-parallel group that contains `rank`, in tensor-index order. */
  tensorGroupRanks(rank: number): number[] {
    const { dataIndex } = this.coordinatesOf(rank);
    return Array.from({ length: this.tensorSize }, (_, tensorIndex) => this.rankOf({ dataIndex, tensorIndex }));
  }

  /** Creates the data, tensor and world groups of the device that owns `transport`, all charging `accounting`. */
  groupsFor(transport: Transport, accounting: CollectiveAccounting = new CollectiveAccounting()): DeviceGroups {
    if (transport.worldSize !== this.worldSize) {
      throw new Error(
        `A ${this.describe()} mesh needs ${this.worldSize} devices, but the transport of rank ${transport.rank} connects ${transport.worldSize}.`,
      );
    }
    const { dataIndex, tensorIndex } = this.coordinatesOf(transport.rank);
    const worldRanks = Array.from({ length: this.worldSize }, (_, rank) => rank);
    return {
      data: createGroup(transport, this.dataGroupRanks(transport.rank), { name: `data[tensor=${tensorIndex}]`, accounting }),
      tensor: createGroup(transport, this.tensorGroupRanks(transport.rank), { name: `tensor[data=${dataIndex}]`, accounting }),
      world: createGroup(transport, worldRanks, { name: 'world', accounting }),
    };
  }

  /** Formats the shape as `data×tensor (data × tensor)` for error messages. */
  describe(): string {
    return `${this.dataSize}×${this.tensorSize} (data × tensor)`;
  }

  private validateRank(rank: number): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize) {
      throw new Error(`Invalid rank ${rank} in a ${this.describe()} mesh: use 0 to ${this.worldSize - 1}.`);
    }
  }
}

/** Creates the mesh for `worldSize` devices, rejecting a shape whose data × tensor product differs. */
export function createDeviceMesh(worldSize: number, shape: MeshShape): DeviceMesh {
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new Error(`Invalid device count ${worldSize}: use a positive integer.`);
  }
  const mesh = new DeviceMesh(shape);
  if (mesh.worldSize !== worldSize) {
    throw new Error(
      `Mesh shape ${mesh.describe()} needs ${mesh.worldSize} devices, but ${worldSize} are configured: choose data and tensor sizes whose product is ${worldSize}.`,
    );
  }
  return mesh;
}

function validateMeshDimension(field: keyof MeshShape, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Invalid mesh ${field} ${value}: use a positive integer number of devices.`);
  }
}
