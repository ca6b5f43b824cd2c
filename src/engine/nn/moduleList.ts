import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/**
 * An ordered list of child modules registered under their indices, so their
 * parameters are named `0.weight`, `1.weight`, … inside the owner
 * (`blocks.0.ln1.weight`). It has no forward pass of its own.
 */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: readonly M[]) {
    super();
    items.forEach((item, index) => this.registerModule(String(index), item));
    this.items = [...items];
  }

  get length(): number {
    return this.items.length;
  }

  forward(_input: Tensor): Tensor {
    throw new Error('ModuleList has no forward pass; call forward on each of its items.');
  }
}
