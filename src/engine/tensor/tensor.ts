/**
 * Float32Array-backed tensors with reverse-mode automatic differentiation.
 *
 * A tensor stores its values in row-major order. Ops create a new tensor whose
 * `backwardFn` adds the op's input gradients into its parents' `grad` buffers.
 * `backward()` walks the graph in reverse topological order, so each node's
 * gradient is complete before it is passed on.
 */

export type Shape = readonly number[];

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Inputs this tensor was computed from; empty for leaves. */
  parents?: readonly Tensor[];
  /** Adds this tensor's `grad` into the parents' gradients. */
  backwardFn?: (() => void) | null;
  /** Name of the op that produced the tensor, for error messages and debugging. */
  op?: string;
  /**
   * Adds this tensor's `grad` into the parents' gradients and may wait on the way,
   * as an op that exchanges gradients with other devices does. Only
   * `backwardAsync()` runs it, and `backward()` throws when it reaches such an op.
   */
  backwardAsyncFn?: (() => Promise<void>) | null;
}

let gradEnabled = true;

/** Runs `fn` without recording ops for backpropagation, as evaluation and optimizer steps need. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function shapeElementCount(shape: Shape): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;
  /** Gradient of the loss with respect to this tensor, allocated on first accumulation. */
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  readonly parents: readonly Tensor[];
  backwardFn: (() => void) | null;
  backwardAsyncFn: (() => Promise<void>) | null;
  readonly op: string;

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}) {
    for (const dim of shape) {
      if (!Number.isInteger(dim) || dim < 0) {
        throw new Error(`Invalid tensor shape ${formatShape(shape)}: every dimension must be a non-negative integer.`);
      }
    }
    const expected = shapeElementCount(shape);
    if (data.length !== expected) {
      throw new Error(`Tensor data has ${data.length} elements but shape ${formatShape(shape)} needs ${expected}.`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.parents = options.parents ?? [];
    this.op = options.op ?? 'leaf';
    const parentNeedsGrad = this.parents.some((parent) => parent.requiresGrad);
    this.requiresGrad = options.requiresGrad ?? (gradEnabled && parentNeedsGrad);
    this.backwardFn = this.requiresGrad && this.parents.length > 0 ? (options.backwardFn ?? null) : null;
    this.backwardAsyncFn = this.requiresGrad && this.parents.length > 0 ? (options.backwardAsyncFn ?? null) : null;
    if (this.backwardAsyncFn !== null && this.backwardFn === null) {
      const op = this.op;
      this.backwardFn = () => {
        throw new Error(`The backward pass of op ${op} waits on other devices, so it cannot run synchronously: call backwardAsync() instead of backward().`);
      };
    }
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(shapeElementCount(shape)), shape, { requiresGrad });
  }

  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(shapeElementCount(shape)).fill(value), shape, { requiresGrad });
  }

  static from(values: ArrayLike<number>, shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values), shape, { requiresGrad });
  }

  static scalar(value: number, requiresGrad = false): Tensor {
    return new Tensor(Float32Array.of(value), [], { requiresGrad });
  }

  /** Number of elements. */
  get numel(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item() needs a tensor with one element, got shape ${formatShape(this.shape)}.`);
    }
    return this.data[0];
  }

  /** Returns a leaf tensor sharing this tensor's values, cut off from the autograd graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, { requiresGrad: false });
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, { requiresGrad: false });
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }

  /** Adds `gradient` (same element count as this tensor) into `this.grad`. */
  accumulateGrad(gradient: Float32Array): void {
    if (gradient.length !== this.data.length) {
      throw new Error(
        `Gradient for ${this.op} output has ${gradient.length} elements, expected ${this.data.length} for shape ${formatShape(this.shape)}.`,
      );
    }
    if (this.grad === null) {
      this.grad = gradient.slice();
      return;
    }
    const grad = this.grad;
    for (let i = 0; i < grad.length; i++) grad[i] += gradient[i];
  }

  /**
   * Backpropagates from this tensor. A scalar seeds its gradient with 1; any other
   * tensor needs `seed`, the gradient of the final objective with respect to it.
   */
  backward(seed?: Float32Array): void {
    if (!this.requiresGrad) {
      throw new Error(`backward() called on a tensor that does not require gradients (op ${this.op}).`);
    }
    if (seed === undefined && this.data.length !== 1) {
      throw new Error(`backward() without a seed needs a scalar, got shape ${formatShape(this.shape)}.`);
    }
    this.accumulateGrad(seed ?? Float32Array.of(1));

    const order = topologicalOrder(this);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.backwardFn !== null && node.grad !== null) node.backwardFn();
    }
  }

  /**
   * Backpropagates like `backward()`, in the same order, but awaits each op that has
   * an asynchronous backward function (a collective between devices) before the
   * next node, so gradients stay complete when they are passed on.
   */
  async backwardAsync(seed?: Float32Array): Promise<void> {
    if (!this.requiresGrad) {
      throw new Error(`backwardAsync() called on a tensor that does not require gradients (op ${this.op}).`);
    }
    if (seed === undefined && this.data.length !== 1) {
      throw new Error(`backwardAsync() without a seed needs a scalar, got shape ${formatShape(this.shape)}.`);
    }
    this.accumulateGrad(seed ?? Float32Array.of(1));

    const order = topologicalOrder(this);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.grad === null) continue;
      if (node.backwardAsyncFn !== null) {
        await node.backwardAsyncFn();
      } else if (node.backwardFn !== null) {
        node.backwardFn();
      }
    }
  }
}

/** Returns the tensors that `root` depends on (requiring gradients), parents before children. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // An explicit stack keeps deep graphs (long sequences of ops) from overflowing the call stack.
  const stack: Array<{ node: Tensor; expanded: boolean }> = [{ node: root, expanded: false }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.expanded) {
      order.push(entry.node);
      continue;
    }
    if (visited.has(entry.node)) continue;
    visited.add(entry.node);
    stack.push({ node: entry.node, expanded: true });
    for (const parent of entry.node.parents) {
      if (parent.requiresGrad && !visited.has(parent)) stack.push({ node: parent, expanded: false });
    }
  }
  return order;
}
