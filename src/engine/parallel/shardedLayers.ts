/**
 * Sharded layer variants for tensor and sequence parallelism, and the record of
 * which part of each one-device parameter a device holds.
 *
 * Every device first builds the full one-device model from the same seed and then
 * keeps its shard of each parameter, so a plan starts from exactly the weights of
 * one device.
 */

import { concat } from '../ops/concat';
import { linear } from '../ops/linear';
import { add } from '../ops/add';
import type { MultiHeadAttention } from '../nn/attention';
import { Tensor, type Shape } from '../tensor/tensor';
import {
  copyToTensorRegion,
  gatherFeatures,
  gatherSequence,
  reduceFromTensorRegion,
  reduceScatterSequence,
  scatterSequence,
  type TensorParallelContext,
} from './commOps';
import type { ShardingKind } from './plan';
import { shardAlong } from './sharding';

/** Placement of a parameter: whole on every device, split along an axis, or whole on one member of the tensor group. */
export type ParameterLayout =
  | { kind: 'replicated' }
  | { kind: 'split'; axis: number }
  | { kind: 'owned'; ownerTensorRank: number };

export interface ShardedParameter {
  /** The one-device name, as in checkpoints (`fc1.weight`, `blocks.0.attn.heads.1.w_q`). */
  name: string;
  fullShape: Shape;
  layout: ParameterLayout;
  /** This device's part, or null for an owned parameter that another member holds. */
  tensor: Tensor | null;
}

/**
 * Layout of activations over the tensor group: `full` on every member,
 * `features` split along the last axis (between a column- and a row-parallel
 * layer), or `sequence` split along the sequence axis (sequence parallelism).
 */
export type ActivationLayout = 'full' | 'features' | 'sequence';

export interface ShardingContext extends TensorParallelContext {
  sequenceParallel: boolean;
  /** Axis of the sequence in activations: 0 for the rows of an MLP batch, 1 for [B, T, C]. */
  sequenceAxis: number;
}

export interface LayoutTensor {
  tensor: Tensor;
  layout: ActivationLayout;
}

/** Returns a new trainable leaf holding this member's shard of `full` along `axis`. */
export function shardParameter(full: Tensor, axis: number, context: TensorParallelContext): Tensor {
  const { size, rank } = context.group;
  const shape = full.shape.map((dim, i) => (i === axis ? dim / size : dim));
  return new Tensor(shardAlong(full.data, full.shape, axis, size, rank), shape, { requiresGrad: true });
}

/**
 * A Dense layer, y = x·Wᵀ + b, run under one of three shardings. Column-parallel
 * keeps rows of W and b (its slice of the outputs) and communicates nothing
 * forward. Row-parallel keeps columns of W (its slice of the inputs), sums the
 * partial outputs over the group and adds the whole b once after the sum.
 */
export class ShardedDense {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly name: string,
    readonly sharding: ShardingKind,
    /** All-gathers a column-parallel output, for a column layer that no row layer follows. */
    readonly gatherOutput: boolean,
    full: { weight: Tensor; bias: Tensor | null },
    private readonly context: ShardingContext,
    parameters: ShardedParameter[],
    names: { weight: string; bias: string },
  ) {
    const { weight, bias } = full;
    if (sharding === 'column') {
      this.weight = shardParameter(weight, 0, context); // [out / t, in]
      this.bias = bias === null ? null : shardParameter(bias, 0, context); // [out / t]
      parameters.push({ name: names.weight, fullShape: weight.shape, layout: { kind: 'split', axis: 0 }, tensor: this.weight });
      if (this.bias !== null && bias !== null) parameters.push({ name: names.bias, fullShape: bias.shape, layout: { kind: 'split', axis: 0 }, tensor: this.bias });
    } else if (sharding === 'row') {
      this.weight = shardParameter(weight, 1, context); // [out, in / t]
      this.bias = bias;
      parameters.push({ name: names.weight, fullShape: weight.shape, layout: { kind: 'split', axis: 1 }, tensor: this.weight });
      if (bias !== null) parameters.push({ name: names.bias, fullShape: bias.shape, layout: { kind: 'replicated' }, tensor: bias });
    } else {
      this.weight = weight;
      this.bias = bias;
      parameters.push({ name: names.weight, fullShape: weight.shape, layout: { kind: 'replicated' }, tensor: weight });
      if (bias !== null) parameters.push({ name: names.bias, fullShape: bias.shape, layout: { kind: 'replicated' }, tensor: bias });
    }
  }

  async forward(input: LayoutTensor): Promise<LayoutTensor> {
    const context = this.context;
    if (this.sharding === 'row') {
      if (input.layout !== 'features') {
        throw new Error(`Row-parallel layer "${this.name}" needs an input split along the features, but it is ${input.layout}. Shard the Dense layer before it as column-parallel.`);
      }
      const partial = linear(input.tensor, this.weight); // [..., in / t] -> [..., out], partial sums
      const summed = context.sequenceParallel
        ? { tensor: await reduceScatterSequence(partial, context.sequenceAxis, context), layout: 'sequence' as const }
        : { tensor: await reduceFromTensorRegion(partial, context), layout: 'full' as const };
      return this.bias === null ? summed : { tensor: add(summed.tensor, this.bias), layout: summed.layout }; // [..., out] + [out]
    }

    if (this.sharding === 'column') {
      const whole = await enterTensorRegion(input, context, this.name);
      const output = linear(whole, this.weight, this.bias); // [..., in] -> [..., out / t]
      if (!this.gatherOutput) return { tensor: output, layout: 'features' };
      const gathered = await gatherFeatures(output, context); // [..., out / t] -> [..., out]
      if (!context.sequenceParallel) return { tensor: gathered, layout: 'full' };
      return { tensor: scatterSequence(gathered, context.sequenceAxis, context), layout: 'sequence' };
    }

    if (input.layout === 'features') {
      throw new Error(`Replicated layer "${this.name}" needs whole feature rows, but its input is split along the features. Shard it as row-parallel, or gather the output of the column-parallel layer before it.`);
    }
    return { tensor: linear(input.tensor, this.weight, this.bias), layout: input.layout };
  }
}

/**
 * Multi-head attention split by heads: each member of the tensor group runs
 * headCount / t whole heads, and the output projection W_O is row-parallel over
 * their joined outputs, so one all-reduce (or reduce-scatter) sums the heads.
 */
export class HeadParallelAttention {
  private readonly firstHead: number;
  private readonly ownHeadCount: number;
  private readonly outputWeight: Tensor;
  private readonly outputBias: Tensor | null;

  constructor(
    readonly name: string,
    private readonly attention: MultiHeadAttention,
    private readonly context: ShardingContext,
    parameters: ShardedParameter[],
  ) {
    const { size, rank } = context.group;
    this.ownHeadCount = attention.headCount / size;
    this.firstHead = rank * this.ownHeadCount;
    attention.heads.items.forEach((head, index) => {
      const owner = Math.floor(index / this.ownHeadCount);
      for (const [localName, tensor] of head.namedParameters()) {
        parameters.push({
          name: `${name}.heads.${index}.${localName}`,
          fullShape: tensor.shape,
          layout: { kind: 'owned', ownerTensorRank: owner },
          tensor: owner === rank ? tensor : null,
        });
      }
    });
    // Heads are joined in index order, so this member's heads are one contiguous block of W_O's inputs.
    this.outputWeight = shardParameter(attention.w_o.weight, 1, context); // [C, heads·H / t]
    this.outputBias = attention.w_o.bias;
    parameters.push({ name: `${name}.w_o.weight`, fullShape: attention.w_o.weight.shape, layout: { kind: 'split', axis: 1 }, tensor: this.outputWeight });
    if (this.outputBias !== null) {
      parameters.push({ name: `${name}.w_o.bias`, fullShape: this.outputBias.shape, layout: { kind: 'replicated' }, tensor: this.outputBias });
    }
  }

  async forward(input: LayoutTensor): Promise<LayoutTensor> {
    const context = this.context;
    const whole = await enterTensorRegion(input, context, this.name); // [B, T, C]
    const heads = this.attention.heads.items.slice(this.firstHead, this.firstHead + this.ownHeadCount);
    const joined = concat(heads.map((head) => head.attend(whole).output), -1); // n × [B, T, H] -> [B, T, n·H]
    const partial = linear(joined, this.outputWeight); // [B, T, n·H] -> [B, T, C], partial over heads

    const summed = context.sequenceParallel
      ? { tensor: await reduceScatterSequence(partial, context.sequenceAxis, context), layout: 'sequence' as const }
      : { tensor: await reduceFromTensorRegion(partial, context), layout: 'full' as const };
    return this.outputBias === null ? summed : { tensor: add(summed.tensor, this.outputBias), layout: summed.layout };
  }
}

/** Records every parameter of a replicated module under `prefix`. */
export function addReplicatedParameters(prefix: string, named: [string, Tensor][], parameters: ShardedParameter[]): void {
  for (const [localName, tensor] of named) {
    parameters.push({ name: `${prefix}${localName}`, fullShape: tensor.shape, layout: { kind: 'replicated' }, tensor });
  }
}

/** Returns the whole input of a column-parallel layer: gathered along the sequence, or marked to sum its gradient. */
async function enterTensorRegion(input: LayoutTensor, context: ShardingContext, name: string): Promise<Tensor> {
  if (input.layout === 'features') {
    throw new Error(`Layer "${name}" needs whole feature rows, but its input is split along the features. Put a row-parallel layer after the column-parallel one before it.`);
  }
  if (input.layout === 'sequence') return gatherSequence(input.tensor, context.sequenceAxis, context);
  return copyToTensorRegion(input.tensor, context);
}
