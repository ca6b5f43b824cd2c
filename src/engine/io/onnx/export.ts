/**
 * ONNX export of a project's inference graph: the nodes the prediction depends
 * on, with the trained weights as initializers named as Tensorloom names them
 * (`fc1.weight`). The Loss node and the labels are left out.
 */

import type { ProjectFile } from '../../../shared/project';
import { datasetShapes } from '../../data/catalog';
import { GraphValidationError } from '../../graph/compile';
import { defaultRegistry } from '../../graph/nodes/index';
import type { NodeRegistry } from '../../graph/registry';
import { BATCH_DIM } from '../../graph/shapes';
import type { DatasetShapes, NodeTypeSpec, SymbolicShape } from '../../graph/types';
import { analyzeGraph, type GraphAnalysis } from '../../graph/validate';
import { OnnxGraphBuilder } from './builder';
import type { NodeExportContext } from './context';
import { NODE_EXPORTERS } from './exporters';
import { addParameter, withVocabularySize, type OnnxParameters } from './parameters';
import { ONNX_SEQUENCE_DIM } from './transformer';
import { encodeModel, FLOAT32, valueInfo, type Dimension, type ModelProto, type ValueInfoProto } from './proto';

export const ONNX_PRODUCER_NAME = 'Tensorloom';
export const DEFAULT_OPSET = 17;
/** Opsets the exporter writes and its tests run through onnxruntime-web 1.31.1. */
export const MIN_OPSET = 17;
export const MAX_OPSET = 24;
/** Name of the dynamic batch dimension of the inputs and outputs. */
export const ONNX_BATCH_DIM = 'batch';
/** Graph output holding what `CompiledModel.predict` returns. */
export const PREDICTION_OUTPUT = 'prediction';
/** Graph output holding the softmax over the last axis of the logits. */
export const PROBABILITIES_OUTPUT = 'probabilities';

export interface OnnxExportOptions {
  /** ONNX operator set version, from `MIN_OPSET` to `MAX_OPSET`. Default 17. */
  opset?: number;
  /** Batch dimension of the inputs and outputs: `dynamic` (named `batch`, the default) or a fixed sample count. */
  batchDim?: 'dynamic' | number;
  /** Tensorloom's version, from package.json, written as the model's producer version. */
  producerVersion?: string;
  /** Hash identifying the graph the weights were trained on, written to the model metadata as `tensorloom.graph_hash`. */
  graphHash?: string;
  /** Sample shape and class count. Default the shapes of the project's dataset. */
  dataset?: DatasetShapes;
  /** Node types the graph is validated against. Default the built-in registry. */
  registry?: NodeRegistry;
}

/**
 * Exports the inference graph of `project` with `parameters` as an ONNX model
 * and returns the bytes of the `.onnx` file.
 *
 * The graph input is named after the data node: an Input node takes the
 * features [batch, ...featureShape] float32, a Token input the token ids
 * [batch, sequence] int64. Output `prediction` is what the engine's
 * `predict` returns: the output of the node feeding the Loss's prediction port,
 * so logits when that node is a layer and probabilities when it is a Softmax.
 * Output `probabilities` is always the softmax over the last axis.
 *
 * Throws `GraphValidationError` for an invalid graph, and an error naming the
 * node for a node type that cannot be exported or a parameter that is missing
 * from `parameters`, has the wrong shape or contains a NaN or an infinity.
 * Entries of `parameters` that no exported node uses are ignored.
 */
export function exportOnnx(project: ProjectFile, parameters: OnnxParameters, options: OnnxExportOptions = {}): Uint8Array {
  const opset = checkOpset(options.opset ?? DEFAULT_OPSET);
  const batchDim = checkBatchDim(options.batchDim ?? 'dynamic');
  const registry = options.registry ?? defaultRegistry;
  const dataset = withVocabularySize(project, parameters, registry, options.dataset ?? datasetShapes(project.dataset.id));

  const analysis = analyzeGraph(project.graph, dataset, registry);
  if (analysis.issues.length > 0) throw new GraphValidationError(analysis.issues);

  const lossNode = analysis.order.find((node) => analysis.specs.get(node.id)!.category === 'loss')!;
  const predictionEdge = analysis.incoming.get(lossNode.id)!.get('prediction')!;
  const predictionSpec = analysis.specs.get(predictionEdge.source)!;
  const exported = ancestorsOf(predictionEdge.source, analysis);

  const builder = new OnnxGraphBuilder();
  builder.reserve(PREDICTION_OUTPUT, 'the prediction output');
  builder.reserve(PROBABILITIES_OUTPUT, 'the probabilities output');
  const graphInputs: ValueInfoProto[] = [];
  const values = new Map<string, Record<string, string>>();
  const addedParameters = new Map<string, readonly number[]>();
  let sequenceLength: number | null = null;

  for (const node of analysis.order) {
    if (!exported.has(node.id)) continue;
    const spec = analysis.specs.get(node.id)!;
    const exporter = NODE_EXPORTERS.get(spec.type);
    if (exporter === undefined) {
      throw new Error(
        `ONNX export, ${spec.type} node "${node.id}": this node type cannot be exported to ONNX yet. The prediction depends on it, so remove it from the path to the Loss or export another format.`,
      );
    }

    const inputs: Record<string, string> = {};
    const inputShapes: Record<string, SymbolicShape> = {};
    for (const [port, edge] of analysis.incoming.get(node.id) ?? []) {
      const value = values.get(edge.source)?.[edge.sourcePort];
      if (value === undefined) {
        throw new Error(
          `ONNX export, ${spec.type} node "${node.id}", port ${port}: it reads port ${edge.sourcePort} of node "${edge.source}", which the inference graph does not compute (labels exist only in training). Connect the port to a layer output.`,
        );
      }
      inputs[port] = value;
      inputShapes[port] = analysis.edgeShapes.get(edge.id)!;
    }

    const context: NodeExportContext = {
      nodeId: node.id,
      spec,
      params: analysis.params.get(node.id)!,
      inputs,
      inputShapes,
      outputShapes: analysis.nodeShapes.get(node.id)!,
      dataset,
      opset,
      builder,
      docString: spec.description,
      parameter: (localName, shape) => addParameter({ builder, parameters, addedParameters, nodeId: node.id, spec }, node.id, localName, shape),
      parameterOf: (ownerId, localName, shape) =>
        addParameter({ builder, parameters, addedParameters, nodeId: node.id, spec }, ownerId, localName, shape),
      declareSequenceLength: (maxLength) => {
        sequenceLength = maxLength;
      },
      graphInput: (elementType, dims, docString) => {
        const name = builder.reserve(node.id, `the graph input of ${spec.type} node "${node.id}"`);
        graphInputs.push(valueInfo(name, elementType, onnxDims(dims, batchDim), docString));
        return name;
      },
    };
    values.set(node.id, exporter(context));
  }

  const prediction = values.get(predictionEdge.source)?.[predictionEdge.sourcePort];
  if (prediction === undefined) {
    throw new Error(`ONNX export, ${predictionSpec.type} node "${predictionEdge.source}": its exporter computed no value for port ${predictionEdge.sourcePort}, which feeds the Loss.`);
  }
  const predictionShape = analysis.nodeShapes.get(predictionEdge.source)![predictionEdge.sourcePort];
  const predictionKind = describePrediction(predictionSpec);
  builder.opInto(PREDICTION_OUTPUT, 'Identity', `${PREDICTION_OUTPUT}/identity`, [prediction]);
  if (predictionSpec.logitsInput === undefined) {
    builder.opInto(PROBABILITIES_OUTPUT, 'Softmax', `${PROBABILITIES_OUTPUT}/softmax`, [prediction], { axis: -1 });
  } else {
    builder.opInto(PROBABILITIES_OUTPUT, 'Identity', `${PROBABILITIES_OUTPUT}/identity`, [prediction]);
  }

  const outputDims = onnxDims(predictionShape, batchDim);
  // Every sequence layer keeps axis 1 as the positions, so the logits [B, T, V] take the free sequence dimension of the token ids.
  if (sequenceLength !== null && outputDims.length >= 3 && outputDims[1] === sequenceLength) outputDims[1] = ONNX_SEQUENCE_DIM;
  const model: ModelProto = {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: ONNX_PRODUCER_NAME,
    producerVersion: options.producerVersion ?? '',
    docString: `Inference graph of the Tensorloom project "${project.name}". Output ${PREDICTION_OUTPUT} is ${predictionKind}.`,
    graph: {
      name: project.name,
      docString: `Exported from Tensorloom without the Loss node. Output ${PREDICTION_OUTPUT} is ${predictionKind}; output ${PROBABILITIES_OUTPUT} is the softmax over its last axis.`,
      node: builder.nodes,
      initializer: builder.initializers,
      input: graphInputs,
      output: [
        valueInfo(PREDICTION_OUTPUT, FLOAT32, outputDims, `${capitalise(predictionKind)}, ${formatSymbolicDims(outputDims)}.`),
        valueInfo(PROBABILITIES_OUTPUT, FLOAT32, outputDims, `Probabilities over the last axis, ${formatSymbolicDims(outputDims)}.`),
      ],
    },
    metadataProps: metadata(project, predictionKind, options.graphHash),
  };
  return encodeModel(model);
}

function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`ONNX export: opset ${opset} is not supported. Use an integer from ${MIN_OPSET} to ${MAX_OPSET}.`);
  }
  return opset;
}

function checkBatchDim(batchDim: 'dynamic' | number): 'dynamic' | number {
  if (batchDim === 'dynamic') return batchDim;
  if (typeof batchDim !== 'number' || !Number.isInteger(batchDim) || batchDim < 1) {
    throw new Error(`ONNX export: batchDim ${String(batchDim)} is invalid. Use 'dynamic' or a positive integer sample count.`);
  }
  return batchDim;
}

/**
 * Returns the ONNX IR version released with `opset`, as `onnx.helper.VERSION_TABLE`
 * of the onnx Python package 1.23.1 lists them. Opsets 17 and 18 came with IR 8,
 * 19 and 20 with IR 9, 21 and 22 with IR 10, 23 with IR 11 and 24 with IR 12.
 */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  if (opset === 23) return 11;
  return 12;
}

/** Maps the engine's symbolic dimensions to ONNX ones: `B` becomes the batch dimension, other symbols stay free. */
function onnxDims(shape: readonly Dimension[], batchDim: 'dynamic' | number): Dimension[] {
  return shape.map((dim) => {
    if (dim !== BATCH_DIM) return dim;
    return batchDim === 'dynamic' ? ONNX_BATCH_DIM : batchDim;
  });
}

function formatSymbolicDims(dims: readonly Dimension[]): string {
  return `[${dims.join(', ')}]`;
}

function describePrediction(spec: NodeTypeSpec): string {
  if (spec.logitsInput !== undefined) return `the probabilities computed by the ${spec.type} node`;
  if (spec.category === 'layer') return 'the logits (raw scores before softmax)';
  return `the output of the ${spec.type} node`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function metadata(project: ProjectFile, predictionKind: string, graphHash: string | undefined): { key: string; value: string }[] {
  const entries = [
    { key: 'tensorloom.project', value: project.name },
    { key: 'tensorloom.dataset', value: project.dataset.id },
    { key: 'tensorloom.prediction', value: predictionKind },
  ];
  if (graphHash !== undefined) entries.push({ key: 'tensorloom.graph_hash', value: graphHash });
  return entries;
}

/** Returns `nodeId` and every node it depends on. */
function ancestorsOf(nodeId: string, analysis: GraphAnalysis): Set<string> {
  const found = new Set([nodeId]);
  const pending = [nodeId];
  while (pending.length > 0) {
    for (const edge of analysis.incoming.get(pending.pop()!)?.values() ?? []) {
      if (found.has(edge.source)) continue;
      found.add(edge.source);
      pending.push(edge.source);
    }
  }
  return found;
}
