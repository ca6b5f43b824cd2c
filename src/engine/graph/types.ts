/**
 * Types of the node registry: each node type is declared once with its ports,
 * parameters, shape rule, compile step and inspector explanation. The palette,
 * the inspector, validation, the trainer and the exporters all read it.
 */

import type { Tensor } from '../tensor/tensor';
import type { Rng } from '../tensor/random';
import type { ParamValue } from '../../shared/project';

/**
 * One dimension of a port's shape: a number, or a symbol that stays free until a
 * batch arrives (`B` for the batch size, `T` for the sequence length).
 */
export type Dim = number | string;
export type SymbolicShape = readonly Dim[];

export interface PortSpec {
  name: string;
  label: string;
  /** An unconnected required input makes the graph invalid. */
  required: boolean;
}

interface ParamSpecBase {
  name: string;
  label: string;
  /** One sentence for the inspector, with the unit where there is one. */
  help: string;
}

export interface IntParamSpec extends ParamSpecBase {
  kind: 'int';
  default: number;
  min: number;
  max: number;
}

export interface FloatParamSpec extends ParamSpecBase {
  kind: 'float';
  default: number;
  min: number;
  max: number;
}

export interface EnumParamSpec extends ParamSpecBase {
  kind: 'enum';
  default: string;
  options: readonly { value: string; label: string }[];
}

export interface BoolParamSpec extends ParamSpecBase {
  kind: 'bool';
  default: boolean;
}

/** A free text, such as the id of another node. */
export interface TextParamSpec extends ParamSpecBase {
  kind: 'text';
  default: string;
}

export type ParamSpec = IntParamSpec | FloatParamSpec | EnumParamSpec | BoolParamSpec | TextParamSpec;

/** Palette group of a node type; the renderer lists groups in this order. */
export type NodeCategory = 'data' | 'embedding' | 'layer' | 'attention' | 'normalization' | 'activation' | 'loss';

/** Input of shape inference for one node: its resolved parameters and the shapes arriving at its inputs. */
export interface ShapeContext {
  nodeId: string;
  params: Readonly<Record<string, ParamValue>>;
  /** Shape arriving at each connected input port, by port name. */
  inputs: Readonly<Record<string, SymbolicShape | undefined>>;
  /** Shapes the dataset provides, for data nodes. */
  dataset: DatasetShapes;
  /** Returns another node of the graph by id, with its resolved parameters, for rules that refer to a node by name. */
  lookupNode?(nodeId: string): { type: string; params: Readonly<Record<string, ParamValue>> } | undefined;
}

export interface DatasetShapes {
  /** Shape of one sample, without the batch dimension (`[784]` for MNIST); [] for text, whose windows the Token input cuts. */
  featureShape: readonly number[];
  /** Classes of a classification dataset; for text, the vocabulary size when known, otherwise 0. */
  classCount: number;
  /** Absent means classification. */
  task?: 'classification' | 'language-model';
  /** Tokens in the vocabulary of a text dataset, known once its text is loaded. Shapes use the symbol `V` until then. */
  vocabularySize?: number;
}

/** Output shapes by port name, or a message for the user on what to fix. */
export type ShapeResult =
  | { ok: true; outputs: Record<string, SymbolicShape> }
  | { ok: false; port?: string; message: string };

export type ForwardMode = 'train' | 'eval';

/** A node turned into something that computes: its parameters and its forward function. */
export interface CompiledNode {
  /** Parameters by local name (`weight`, `bias`); the model prefixes them with the node id. */
  parameters: Record<string, Tensor>;
  /** Maps input tensors by port name to output tensors by port name. */
  forward(inputs: Record<string, Tensor>, mode: ForwardMode): Record<string, Tensor>;
  /** For attention nodes: each head's weights [B, T, T] from the last forward, or an empty list before it. */
  lastAttention?(): Tensor[];
}

export interface CompileContext {
  nodeId: string;
  params: Readonly<Record<string, ParamValue>>;
  /** Resolved input shapes, with the batch dimension still symbolic. */
  inputShapes: Readonly<Record<string, SymbolicShape>>;
  /** Seeded generator for parameter initialisation. */
  rng: Rng;
  /** Shapes of the dataset the model trains on, with a known vocabulary size for text. */
  dataset: DatasetShapes;
  /**
   * Returns a parameter of another compiled node by node id and local name. Call it from
   * `forward`, not during `compile`, because nodes compile in order of id.
   */
  parameterOf(nodeId: string, localName: string): Tensor | undefined;
}

export interface NodeTypeSpec {
  type: string;
  label: string;
  category: NodeCategory;
  /** One paragraph for the inspector: what the node computes and when to use it. */
  description: string;
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  params: readonly ParamSpec[];
  inferShape(context: ShapeContext): ShapeResult;
  compile(context: CompileContext): CompiledNode;
  /**
   * Name of the input port whose values this node turns into probabilities, if it
   * does (Softmax: `input`). A node fed by this one also receives that input's
   * tensor under `logitsInputKey(port)` from ./logits, so a cross-entropy loss can
   * start from the logits, which is numerically stable.
   */
  logitsInput?: string;
  /**
   * True for node types that describe how the graph runs on devices (the device mesh,
   * tensor-parallel groups) rather than compute. They have no ports, and shape
   * inference, compilation and the exporters skip them.
   */
  planOnly?: boolean;
}
