/**
 * The plan executor: runs one device's part of a model under a parallel plan.
 * `step(batch)` runs the forward pass on the device's slice of the batch and
 * shards of the weights, the asynchronous backward pass, the gradient sync
 * and the optimizer step on the shards, and reports the collectives it called.
 * `gatherParameters()` rebuilds the one-device parameters from the shards.
 */

import type { Optimizer } from '../optim/optimizer';
import type { Shape, Tensor } from '../tensor/tensor';
import { CollectiveAccounting } from './accounting';
import { allReduce, broadcast, allGather } from './collectives';
import { createGroup, type ProcessGroup } from './group';
import { DeviceMesh, type DeviceGroups, type MeshCoordinates } from './mesh';
import { resolvePlan, type ParallelPlan, type PlanModel, type ResolvedPlan } from './plan';
import type { ShardedParameter, ShardingContext } from './shardedLayers';
import { StepRecorder, type Clock, type StepReport } from './stepRecorder';
import type { Transport } from './transport';

/** Inputs a device needs to build its part of a model. */
export interface DeviceContext {
  plan: ResolvedPlan;
  coordinates: MeshCoordinates;
  groups: DeviceGroups;
  /** The tensor group with the recorder, for the sharded layers. */
  sharding: ShardingContext;
}

/** One device's part of a model. */
export interface ShardedModel<Batch> {
  /** Every one-device parameter with this device's part, in the same order on every device. */
  parameters: ShardedParameter[];
  /**
   * Runs the forward pass on this device's slice of `batch` and returns its loss
   * scaled by the slice's share of the batch. Summed over the devices that see
   * different samples, the gradients then equal those of the one-device mean loss.
   */
  forward(batch: Batch): Promise<Tensor>;
}

/** The one-device model, the reference for every plan. */
export interface ReferenceModel<Batch> {
  parameters: Map<string, Tensor>;
  /** Mean loss over the whole batch, recorded for `backward()`. */
  loss(batch: Batch): Tensor;
}

/** A model that can run on one device and under a plan, built from the same seed. */
export interface ParallelWorkload<Batch> {
  /** Layers and sizes for plan validation, for a batch of `batchSize` samples. */
  describe(batchSize: number, dataParallel: number): PlanModel;
  batchSizeOf(batch: Batch): number;
  createReference(): ReferenceModel<Batch>;
  createSharded(device: DeviceContext): ShardedModel<Batch>;
}

export interface PlanExecutorOptions<Batch> {
  workload: ParallelWorkload<Batch>;
  plan: ParallelPlan;
  /** This device's transport. Its rank and world size place it in the mesh. */
  transport: Transport;
  /** Samples per step over all devices, checked against the plan. */
  batchSize: number;
  /** Creates the optimizer over this device's parameter shards, keyed by one-device name. */
  createOptimizer(parameters: Map<string, Tensor>): Optimizer;
  clock?: Clock;
}

/** Bytes one device holds for training. */
export interface DeviceMemory {
  parameterBytes: number;
  gradientBytes: number;
  optimizerStateBytes: number;
  /** Bytes of the intermediate tensors the last step's backward pass kept. */
  activationBytes: number;
}

export interface StepResult {
  /** Mean loss over the whole batch, the same on every device. */
  loss: number;
  report: StepReport;
  memory: DeviceMemory;
}

export interface GatheredParameter {
  shape: Shape;
  data: Float32Array;
}

export class PlanExecutor<Batch> {
  readonly plan: ResolvedPlan;
  readonly rank: number;
  readonly recorder: StepRecorder;
  readonly model: ShardedModel<Batch>;
  readonly optimizer: Optimizer;
  private readonly groups: DeviceGroups;
  /** Groups for loss reporting and parameter gathering, which do not count towards a step's collectives. */
  private readonly metricsGroup: ProcessGroup;
  private readonly gatherGroup: ProcessGroup;
  private activationBytes = 0;

  constructor(private readonly options: PlanExecutorOptions<Batch>) {
    const { transport, workload } = options;
    const describedModel = workload.describe(options.batchSize, options.plan.dataParallel);
    this.plan = resolvePlan(options.plan, describedModel, transport.worldSize);
    this.rank = transport.rank;
    this.recorder = new StepRecorder(options.clock);

    const mesh = new DeviceMesh({ dataSize: this.plan.dataParallel, tensorSize: this.plan.tensorParallel });
    this.groups = mesh.groupsFor(transport, this.recorder.accounting);
    const coordinates = mesh.coordinatesOf(transport.rank);
    const quiet = new CollectiveAccounting();
    const worldRanks = Array.from({ length: transport.worldSize }, (_, rank) => rank);
    this.metricsGroup = createGroup(transport, worldRanks, { name: 'metrics', accounting: quiet });
    this.gatherGroup = createGroup(transport, mesh.tensorGroupRanks(transport.rank), { name: `gather[data=${coordinates.dataIndex}]`, accounting: quiet });

    const sharding: ShardingContext = {
      group: this.groups.tensor,
      recorder: this.recorder,
      sequenceParallel: this.plan.sequenceParallel,
      sequenceAxis: 0,
    };
    this.model = workload.createSharded({ plan: this.plan, coordinates, groups: this.groups, sharding });
    this.optimizer = options.createOptimizer(this.ownParameters());
  }

  /** Runs one training step on the whole `batch`, of which the device takes its slice, and returns the mean loss and the report. */
  async step(batch: Batch): Promise<StepResult> {
    const batchSize = this.options.workload.batchSizeOf(batch);
    if (batchSize !== this.options.batchSize) {
      throw new Error(`Rank ${this.rank} got a batch of ${batchSize} samples, but the plan was validated for ${this.options.batchSize}. Pass batches of ${this.options.batchSize} samples or create the executor for the new size.`);
    }
    const recorder = this.recorder;
    recorder.beginStep();
    this.optimizer.zeroGrad();

    const loss = await this.model.forward(batch);
    this.activationBytes = graphActivationBytes(loss);

    recorder.enterPhase('backward');
    await loss.backwardAsync();

    recorder.enterPhase('gradient-sync');
    await this.synchronizeGradients();

    recorder.enterPhase('optimizer');
    this.optimizer.step();
    const report = recorder.endStep();

    // The loss is reported through groups that do not charge the step's counters.
    const scaledLoss = Float32Array.of(loss.item());
    const lossSum = await allReduce(this.metricsGroup, scaledLoss);
    const copies = this.plan.sequenceParallel ? 1 : this.plan.tensorParallel;
    return { loss: lossSum[0] / copies, report, memory: this.memory() };
  }

  /** Rebuilds every one-device parameter from the shards of this device's tensor group. Every member of the group must call it. */
  async gatherParameters(): Promise<Map<string, GatheredParameter>> {
    const gathered = new Map<string, GatheredParameter>();
    const group = this.gatherGroup;
    for (const parameter of this.model.parameters) {
      const { layout, tensor, fullShape, name } = parameter;
      let data: Float32Array;
      if (layout.kind === 'replicated') {
        data = tensor!.data.slice();
      } else if (layout.kind === 'split') {
        data = await allGather(group, tensor!.data, { shape: tensor!.shape, axis: layout.axis });
      } else {
        const buffer = tensor?.data ?? new Float32Array(fullShape.reduce((product, dim) => product * dim, 1));
        data = await broadcast(group, buffer, layout.ownerTensorRank);
      }
      gathered.set(name, { shape: fullShape, data });
    }
    return gathered;
  }

  /** Returns the bytes this device holds for parameters, gradients, optimizer state and the last step's activations. */
  memory(): DeviceMemory {
    let parameterBytes = 0;
    let gradientBytes = 0;
    for (const tensor of this.ownParameters().values()) {
      parameterBytes += tensor.data.byteLength;
      gradientBytes += tensor.grad?.byteLength ?? 0;
    }
    let optimizerStateBytes = 0;
    for (const value of Object.values(this.optimizer.stateDict())) {
      if (value instanceof Float32Array) optimizerStateBytes += value.byteLength;
    }
    return { parameterBytes, gradientBytes, optimizerStateBytes, activationBytes: this.activationBytes };
  }

  /** Returns this device's parameter tensors by one-device name. */
  ownParameters(): Map<string, Tensor> {
    const own = new Map<string, Tensor>();
    for (const parameter of this.model.parameters) {
      if (parameter.tensor !== null) own.set(parameter.name, parameter.tensor);
    }
    return own;
  }

  /**
   * Sums the gradients that devices computed from different samples. Under sequence
   * parallelism, replicated parameters saw only this member's slice of the sequence,
   * so their gradients are summed over the tensor group first. Then every gradient is
   * summed over the data group. Each sum is one all-reduce over a flat bucket.
   */
  private async synchronizeGradients(): Promise<void> {
    if (this.plan.sequenceParallel) {
      const replicated = this.model.parameters
        .filter((parameter) => parameter.layout.kind === 'replicated' && parameter.tensor !== null)
        .map((parameter) => parameter.tensor!);
      await this.sumBucket(replicated, this.groups.tensor);
    }
    if (this.plan.dataParallel > 1) await this.sumBucket([...this.ownParameters().values()], this.groups.data);
  }

  private async sumBucket(tensors: Tensor[], group: ProcessGroup): Promise<void> {
    if (tensors.length === 0 || group.size === 1) return;
    const length = tensors.reduce((total, tensor) => total + tensor.numel, 0);
    const bucket = new Float32Array(length);
    let offset = 0;
    for (const tensor of tensors) {
      // A parameter without a gradient contributes zeros, so every member's bucket has the same layout.
      if (tensor.grad !== null) bucket.set(tensor.grad, offset);
      offset += tensor.numel;
    }

    const summed = await this.recorder.collective('all-reduce', group, bucket, () => allReduce(group, bucket));
    offset = 0;
    for (const tensor of tensors) {
      const part = summed.subarray(offset, offset + tensor.numel);
      if (tensor.grad === null) tensor.accumulateGrad(part);
      else tensor.grad.set(part);
      offset += tensor.numel;
    }
  }
}

/** Returns the bytes of the distinct buffers of every op output that `root` depends on. */
function graphActivationBytes(root: Tensor): number {
  const seenTensors = new Set<Tensor>();
  const seenBuffers = new Set<Float32Array>();
  const pending: Tensor[] = [root];
  let bytes = 0;
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (seenTensors.has(tensor)) continue;
    seenTensors.add(tensor);
    if (tensor.parents.length > 0 && !seenBuffers.has(tensor.data)) {
      seenBuffers.add(tensor.data);
      bytes += tensor.data.byteLength;
    }
    for (const parent of tensor.parents) pending.push(parent);
  }
  return bytes;
}
