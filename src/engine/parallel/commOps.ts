/**
 * Differentiable communication ops for tensor and sequence parallelism. Each one
 * is a collective in its forward pass, its backward pass, or both, and records
 * the collective with the device's step recorder. A backward collective is an
 * asynchronous backward function, so graphs containing one need
 * `Tensor.backwardAsync()`.
 *
 * Pairs (forward / backward):
 * - copyToTensorRegion: identity / all-reduce, before a column-parallel layer.
 * - reduceFromTensorRegion: all-reduce / identity, after a row-parallel layer.
 * - gatherFeatures: all-gather of the last axis / own slice, after a lone column-parallel layer.
 * - gatherSequence: all-gather along the sequence / reduce-scatter, entering the region under sequence parallelism.
 * - reduceScatterSequence: reduce-scatter along the sequence / all-gather, leaving it.
 * - scatterSequence: own slice / all-gather, after a lone column-parallel layer under sequence parallelism.
 * - sliceForMember: own slice / zeros elsewhere, where the sequence is first split.
 */

import { allGather, allReduce, reduceScatter } from './collectives';
import type { ProcessGroup } from './group';
import { concatAlong, gatheredShape, resolveAxis, shardAlong } from './sharding';
import type { StepRecorder } from './stepRecorder';
import { Tensor } from '../tensor/tensor';

/** The tensor-parallel group of a device and the recorder its collectives report to. */
export interface TensorParallelContext {
  group: ProcessGroup;
  recorder: StepRecorder;
}

/** Returns `x` for use by a column-parallel layer. The backward pass sums its gradient over the group. */
export function copyToTensorRegion(x: Tensor, context: TensorParallelContext): Tensor {
  // An input that needs no gradient (the batch features) needs no backward all-reduce either.
  if (!x.requiresGrad || context.group.size === 1) return x;
  const result: Tensor = new Tensor(x.data, x.shape, {
    op: 'copyToTensorRegion',
    parents: [x],
    backwardAsyncFn: async () => {
      const grad = result.grad!;
      x.accumulateGrad(await runAllReduce(context, grad));
    },
  });
  return result;
}

/** Returns the sum of every member's partial `x`, a row-parallel layer's output. The gradient passes through unchanged. */
export async function reduceFromTensorRegion(x: Tensor, context: TensorParallelContext): Promise<Tensor> {
  if (context.group.size === 1) return x;
  const summed = await runAllReduce(context, x.data);
  const result: Tensor = new Tensor(summed, x.shape, {
    op: 'reduceFromTensorRegion',
    parents: [x],
    backwardFn: () => x.accumulateGrad(result.grad!),
  });
  return result;
}

/** Joins every member's feature shard `x` [..., F / t] into [..., F]. The backward pass keeps this member's slice. */
export async function gatherFeatures(x: Tensor, context: TensorParallelContext): Promise<Tensor> {
  return gatherAlong(x, -1, context, 'gatherFeatures', (grad, fullShape, axis) => {
    const { size, rank } = context.group;
    return Promise.resolve(shardAlong(grad, fullShape, axis, size, rank));
  });
}

/** Joins every member's sequence slice `x` along `axis`. The backward pass reduce-scatters the gradient back to slices. */
export async function gatherSequence(x: Tensor, axis: number, context: TensorParallelContext): Promise<Tensor> {
  return gatherAlong(x, axis, context, 'gatherSequence', (grad, fullShape, resolvedAxis) =>
    runReduceScatter(context, grad, fullShape, resolvedAxis),
  );
}

/** Returns this member's slice along `axis` of the sum of every member's partial `x`. The backward pass all-gathers the gradient. */
export async function reduceScatterSequence(x: Tensor, axis: number, context: TensorParallelContext): Promise<Tensor> {
  const resolvedAxis = resolveAxis(x.shape, axis);
  const { size } = context.group;
  if (size === 1) return x;
  const sliceShape = x.shape.map((dim, i) => (i === resolvedAxis ? dim / size : dim));
  const reduced = await runReduceScatter(context, x.data, x.shape, resolvedAxis);
  const result: Tensor = new Tensor(reduced, sliceShape, {
    op: 'reduceScatterSequence',
    parents: [x],
    backwardAsyncFn: async () => {
      const grad = result.grad!;
      x.accumulateGrad(await runAllGather(context, grad, sliceShape, resolvedAxis));
    },
  });
  return result;
}

/**
 * Returns this member's slice of `x` along `axis`, where every member has the same
 * `x`. The backward pass all-gathers the slices' gradients, so `x` gets its whole gradient.
 */
export function scatterSequence(x: Tensor, axis: number, context: TensorParallelContext): Tensor {
  const resolvedAxis = resolveAxis(x.shape, axis);
  const { size, rank } = context.group;
  if (size === 1) return x;
  const sliceShape = x.shape.map((dim, i) => (i === resolvedAxis ? dim / size : dim));
  const result: Tensor = new Tensor(shardAlong(x.data, x.shape, resolvedAxis, size, rank), sliceShape, {
    op: 'scatterSequence',
    parents: [x],
    backwardAsyncFn: async () => {
      const grad = result.grad!;
      x.accumulateGrad(await runAllGather(context, grad, sliceShape, resolvedAxis));
    },
  });
  return result;
}

/**
 * Returns this member's slice of `x` along `axis`, without communication. The gradient
 * outside the slice is zero. The parameters that computed `x` then get a partial
 * gradient, which the executor sums over the tensor group.
 */
export function sliceForMember(x: Tensor, axis: number, context: TensorParallelContext): Tensor {
  const resolvedAxis = resolveAxis(x.shape, axis);
  const { size, rank } = context.group;
  if (size === 1) return x;
  const sliceShape = x.shape.map((dim, i) => (i === resolvedAxis ? dim / size : dim));
  const result: Tensor = new Tensor(shardAlong(x.data, x.shape, resolvedAxis, size, rank), sliceShape, {
    op: 'sliceForMember',
    parents: [x],
    backwardFn: () => {
      const zeros = new Float32Array(result.numel);
      const shards = Array.from({ length: size }, (_, index) => (index === rank ? result.grad! : zeros));
      x.accumulateGrad(concatAlong(shards, x.shape, resolvedAxis)); // size × slice -> x.shape, zero outside this slice
    },
  });
  return result;
}

async function gatherAlong(
  x: Tensor,
  axis: number,
  context: TensorParallelContext,
  op: string,
  backward: (grad: Float32Array, fullShape: number[], axis: number) => Promise<Float32Array>,
): Promise<Tensor> {
  const resolvedAxis = resolveAxis(x.shape, axis);
  if (context.group.size === 1) return x;
  const fullShape = gatheredShape(x.shape, resolvedAxis, context.group.size);
  const gathered = await runAllGather(context, x.data, x.shape, resolvedAxis);
  const result: Tensor = new Tensor(gathered, fullShape, {
    op,
    parents: [x],
    backwardAsyncFn: async () => {
      const grad = result.grad!;
      x.accumulateGrad(await backward(grad, fullShape, resolvedAxis));
    },
  });
  return result;
}

function runAllReduce(context: TensorParallelContext, buffer: Float32Array): Promise<Float32Array> {
  return context.recorder.collective('all-reduce', context.group, buffer, () => allReduce(context.group, buffer));
}

function runAllGather(context: TensorParallelContext, shard: Float32Array, shape: readonly number[], axis: number): Promise<Float32Array> {
  return context.recorder.collective('all-gather', context.group, shard, () => allGather(context.group, shard, { shape, axis }));
}

function runReduceScatter(context: TensorParallelContext, buffer: Float32Array, shape: readonly number[], axis: number): Promise<Float32Array> {
  return context.recorder.collective('reduce-scatter', context.group, buffer, () =>
    reduceScatter(context.group, buffer, { split: { shape, axis } }),
  );
}
