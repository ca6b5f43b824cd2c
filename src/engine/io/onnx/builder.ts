/**
 * Collects the nodes and initializers of one ONNX graph while the exporter walks
 * the Tensorloom graph, and hands out value names that never collide.
 */

import { attributeProtos, floatTensor, int64Tensor, type Attributes, type NodeProto, type TensorProto } from './proto';

export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** Names of values (graph inputs and outputs, initializers, node outputs) handed out so far. */
  private readonly valueNames = new Set<string>();
  /** Names of operator nodes, a namespace of their own in ONNX. */
  private readonly nodeNames = new Set<string>();
  /** Values built once and shared by every node that needs them, such as a causal mask. */
  private readonly sharedValues = new Map<string, string>();

  /**
   * Reserves `name` exactly, for names a user or a checkpoint relies on (graph
   * inputs and outputs, parameter initializers). Throws when it is already taken.
   */
  reserve(name: string, owner: string): string {
    if (this.valueNames.has(name)) {
      throw new Error(`ONNX export: ${owner} needs the name "${name}", but another value of the model already has it. Rename the node so its id does not clash.`);
    }
    this.valueNames.add(name);
    return name;
  }

  /** Returns `base`, or `base_1`, `base_2`… when taken, for intermediate values and helper nodes. */
  freshName(base: string, used: Set<string> = this.valueNames): string {
    let name = base;
    for (let suffix = 1; used.has(name); suffix++) name = `${base}_${suffix}`;
    used.add(name);
    return name;
  }

  /**
   * Adds one operator node and returns the names of its outputs. `name` is the
   * node's name: a Tensorloom node id for the main operator of that node, or
   * `<nodeId>/<step>` for the helper operators around it. The outputs are named
   * after the node (`fc1`, or `attn/split:0` for several).
   */
  addNode(
    opType: string,
    name: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Attributes = {},
    docString?: string,
  ): string[] {
    const nodeName = this.freshName(name, this.nodeNames);
    const outputs = Array.from({ length: outputCount }, (_, index) =>
      this.freshName(outputCount === 1 ? nodeName : `${nodeName}:${index}`),
    );
    this.nodes.push({
      name: nodeName,
      opType,
      input: [...inputs],
      output: outputs,
      attribute: attributeProtos(attributes),
      ...(docString === undefined ? {} : { docString }),
    });
    return outputs;
  }

  /** Adds a one-output node whose output takes exactly `output`, a name taken earlier with `reserve`. */
  opInto(output: string, opType: string, name: string, inputs: readonly string[], attributes: Attributes = {}): void {
    this.nodes.push({
      name: this.freshName(name, this.nodeNames),
      opType,
      input: [...inputs],
      output: [output],
      attribute: attributeProtos(attributes),
    });
  }

  /** Adds a one-output node; see `addNode`. */
  op(opType: string, name: string, inputs: readonly string[], attributes: Attributes = {}, docString?: string): string {
    return this.addNode(opType, name, inputs, 1, attributes, docString)[0];
  }

  /** Returns the value stored under `key`, building it with `create` on first use. */
  shared(key: string, create: () => string): string {
    let value = this.sharedValues.get(key);
    if (value === undefined) {
      value = create();
      this.sharedValues.set(key, value);
    }
    return value;
  }

  /** Adds a float32 initializer under exactly `name` (a parameter name such as `fc1.weight`). */
  addFloatInitializer(name: string, dims: readonly number[], values: ArrayLike<number>, owner: string): string {
    this.initializers.push(floatTensor(this.reserve(name, owner), dims, values));
    return name;
  }

  /** Adds a float32 constant under a fresh name derived from `base`. */
  floatConstant(base: string, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.freshName(base);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  /** Adds an int64 constant (shapes, axes, slice bounds) under a fresh name derived from `base`. */
  int64Constant(base: string, dims: readonly number[], values: readonly number[]): string {
    const name = this.freshName(base);
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }
}
