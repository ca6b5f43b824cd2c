/**
 * Layers as modules with named parameters. A parameter's name is its key in
 * exported checkpoints and optimizer state, so names are stable and readable.
 * A module's own parameters go by their local name (`weight`, `bias`), and
 * those of a child module get the child's name as a prefix (`fc1.weight`).
 * Both keep the order in which they were registered.
 */

import type { Tensor } from '../tensor/tensor';

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

export abstract class Module {
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** True in training mode, false in evaluation mode; layers such as dropout read it. */
  training = true;

  abstract forward(input: Tensor): Tensor;

  /** Registers `tensor` as a trainable parameter under `name` and returns it. */
  protected registerParameter(name: string, tensor: Tensor): Tensor {
    this.checkNewName(name);
    this.ownParameters.set(name, tensor);
    return tensor;
  }

  /** Registers `module` as a child whose parameters are prefixed with `name.` and returns it. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.checkNewName(name);
    this.children.set(name, module);
    return module;
  }

  private checkNewName(name: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new Error(`${this.constructor.name}: invalid parameter or module name "${name}"; use letters, digits and underscores only.`);
    }
    if (this.ownParameters.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: the name "${name}" is already registered; give each parameter and child module its own name.`);
    }
  }

  /** Returns every parameter with its dotted name, own parameters first, then each child's in registration order. */
  namedParameters(): [string, Tensor][] {
    const result: [string, Tensor][] = [...this.ownParameters];
    for (const [childName, child] of this.children) {
      for (const [name, tensor] of child.namedParameters()) result.push([`${childName}.${name}`, tensor]);
    }
    return result;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, tensor]) => tensor);
  }

  /** Returns the parameters keyed by dotted name, as the optimizers take them. */
  parameterMap(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /** Sets every parameter's gradient to zero, keeping its buffer for the next step. */
  zeroGrad(): void {
    for (const tensor of this.parameters()) tensor.zeroGrad();
  }

  /** Switches this module and its children to training mode (or evaluation mode when `mode` is false). */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Switches this module and its children to evaluation mode. */
  eval(): this {
    return this.train(false);
  }
}
