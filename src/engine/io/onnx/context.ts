/**
 * The interface between the export walk and the exporter of one node type:
 * the node's parameters and input values, and the calls that add operators,
 * graph inputs and initializers to the ONNX graph.
 */

import type { ParamValue } from '../../../shared/project';
import type { DatasetShapes, NodeTypeSpec, SymbolicShape } from '../../graph/types';
import type { OnnxGraphBuilder } from './builder';
import type { Dimension, ElementType } from './proto';

export interface NodeExportContext {
  nodeId: string;
  spec: NodeTypeSpec;
  /** Resolved parameters, with defaults filled in. */
  params: Readonly<Record<string, ParamValue>>;
  /** ONNX value name arriving at each connected input port. */
  inputs: Readonly<Record<string, string>>;
  /** Shape arriving at each connected input port, from graph validation. */
  inputShapes: Readonly<Record<string, SymbolicShape>>;
  /** Shape of each output port, from graph validation. */
  outputShapes: Readonly<Record<string, SymbolicShape>>;
  dataset: DatasetShapes;
  opset: number;
  builder: OnnxGraphBuilder;
  /**
   * Adds the node's trained parameter `<nodeId>.<localName>` as an initializer of
   * that name and returns the name. Throws naming the node when the weights do
   * not contain it or give it another shape.
   */
  parameter(localName: string, shape: readonly number[]): string;
  /**
   * Adds or reuses the parameter `<nodeId>.<localName>` of another node, for a
   * weight shared between nodes (an Unembedding tied to an Embedding table).
   */
  parameterOf(nodeId: string, localName: string, shape: readonly number[]): string;
  /**
   * Declares the graph input of this data node, named after the node id, and
   * returns its value name. `dims` may use `BATCH_DIM` for the batch dimension.
   */
  graphInput(elementType: ElementType, dims: readonly Dimension[], docString: string): string;
  /**
   * Declares that axis 1 of the graph input is a free sequence dimension of at
   * most `maxLength`, so outputs of that length on axis 1 get the free dimension too.
   */
  declareSequenceLength(maxLength: number): void;
  /** The node type's description, for the doc string of the node's main operator. */
  docString: string;
}

/** Adds the ONNX operators of one node and returns the value name of each output port it computes. */
export type NodeExporter = (context: NodeExportContext) => Record<string, string>;

/** Throws an export error that names the node. */
export function exportError(context: Pick<NodeExportContext, 'nodeId' | 'spec'>, message: string): never {
  throw new Error(`ONNX export, ${context.spec.type} node "${context.nodeId}": ${message}`);
}

/** Returns a dimension of a validated shape that must be a number, such as a feature width. */
export function fixedDim(context: NodeExportContext, shape: SymbolicShape | undefined, axis: number, what: string): number {
  const dim = shape?.[axis < 0 ? shape.length + axis : axis];
  if (typeof dim !== 'number') {
    exportError(context, `the ${what} must be a fixed number to export, but it is ${String(dim)}.`);
  }
  return dim;
}
