/**
 * The trained weights an export reads: checked against the shapes the nodes
 * need, and added to the ONNX graph as initializers under their Tensorloom names.
 */

import type { ProjectFile } from '../../../shared/project';
import { resolveParams, type NodeRegistry } from '../../graph/registry';
import type { DatasetShapes, NodeTypeSpec } from '../../graph/types';
import { formatShape, shapeElementCount, shapesEqual } from '../../tensor/tensor';
import type { OnnxGraphBuilder } from './builder';
import { exportError } from './context';

/** Values with their shape, as a `Tensor` or a decoded safetensors entry carries them. */
export interface ShapedValues {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Weights by parameter name (`fc1.weight`), as `CompiledModel.parameters` or a
 * safetensors checkpoint stores them. A bare Float32Array is checked by length only.
 */
export type OnnxParameters = ReadonlyMap<string, Float32Array | ShapedValues>;

export interface ParameterSource {
  builder: OnnxGraphBuilder;
  parameters: OnnxParameters;
  /** Shape of each parameter added so far, by name, so a shared weight is added once. */
  addedParameters: Map<string, readonly number[]>;
  /** The node being exported, which errors name. */
  nodeId: string;
  spec: NodeTypeSpec;
}

/**
 * Checks the trained parameter `<ownerId>.<localName>` against the shape the
 * node needs and adds it as an initializer, once however many nodes use it.
 */
export function addParameter(source: ParameterSource, ownerId: string, localName: string, shape: readonly number[]): string {
  const name = `${ownerId}.${localName}`;
  const added = source.addedParameters.get(name);
  if (added !== undefined) {
    if (!shapesEqual(added, shape)) {
      exportError(source, `parameter "${name}" is used as ${formatShape(added)} and as ${formatShape(shape)}. Make the tied nodes agree on its shape.`);
    }
    return name;
  }

  const value = source.parameters.get(name);
  if (value === undefined) {
    exportError(source, `the weights have no parameter "${name}" ${formatShape(shape)}. Pass the weights trained on this graph (CompiledModel.parameters or the project's checkpoint).`);
  }
  let data: Float32Array;
  if (isShapedValues(value)) {
    if (!shapesEqual(value.shape, shape)) {
      exportError(source, `parameter "${name}" has shape ${formatShape(value.shape)} but the node needs ${formatShape(shape)}. The weights come from another version of the graph: retrain or load matching weights.`);
    }
    if (value.data.length !== shapeElementCount(value.shape)) {
      exportError(source, `parameter "${name}" has shape ${formatShape(value.shape)} but ${value.data.length} values. Pass a tensor whose data fills its shape.`);
    }
    data = value.data;
  } else if (isFloat32Array(value)) {
    const expected = shapeElementCount(shape);
    if (value.length !== expected) {
      exportError(source, `parameter "${name}" has ${value.length} values but the node needs shape ${formatShape(shape)}, which has ${expected}. The weights come from another version of the graph: retrain or load matching weights.`);
    }
    data = value;
  } else {
    exportError(source, `parameter "${name}" must be a Float32Array or a tensor with shape and Float32Array data, got ${describe(value)}.`);
  }

  const badIndex = data.findIndex((entry) => !Number.isFinite(entry));
  if (badIndex >= 0) {
    exportError(source, `parameter "${name}" contains ${data[badIndex]} at index ${badIndex}, so the exported model would compute nothing useful. The training run diverged: lower the learning rate and retrain.`);
  }

  source.addedParameters.set(name, shape);
  return source.builder.addFloatInitializer(name, shape, data, `parameter "${name}"`);
}

/**
 * Returns `dataset` with the vocabulary size of a text dataset filled in from
 * the first Embedding table in `parameters` when the caller did not give it,
 * because the size depends on the loaded text and the weights record it.
 */
export function withVocabularySize(project: ProjectFile, parameters: OnnxParameters, registry: NodeRegistry, dataset: DatasetShapes): DatasetShapes {
  if (dataset.task !== 'language-model' || dataset.vocabularySize !== undefined) return dataset;
  const embeddingSpec = registry.get('Embedding');
  for (const node of project.graph.nodes) {
    if (node.type !== 'Embedding' || embeddingSpec === undefined) continue;
    const table = parameters.get(`${node.id}.weight`);
    let rows: number | undefined;
    if (isShapedValues(table) && table.shape.length === 2) rows = table.shape[0];
    const width = resolveParams(embeddingSpec, node.params ?? {}).params.width;
    if (isFloat32Array(table) && typeof width === 'number' && width > 0 && table.length % width === 0) rows = table.length / width;
    if (rows !== undefined && rows > 0) return { ...dataset, vocabularySize: rows, classCount: rows };
  }
  return dataset;
}

// These checks look at the value rather than its class, because a page or a worker may
// hand over arrays from another realm, where `instanceof Float32Array` is false.
function isFloat32Array(value: unknown): value is Float32Array {
  return Object.prototype.toString.call(value) === '[object Float32Array]';
}

function isShapedValues(value: unknown): value is ShapedValues {
  if (typeof value !== 'object' || value === null || !('shape' in value) || !('data' in value)) return false;
  const { shape, data } = value as { shape: unknown; data: unknown };
  return Array.isArray(shape) && shape.every((dim) => Number.isInteger(dim) && dim >= 0) && isFloat32Array(data);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
