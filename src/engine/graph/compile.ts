/**
 * Compilation of a validated graph into a trainable model: every node becomes a
 * compiled node with named parameters, and the forward pass runs them in
 * topological order.
 */

import type { ProjectGraph, ProjectIssue } from '../../shared/project';
import type { Rng } from '../tensor/random';
import { formatShape, noGrad, Tensor } from '../tensor/tensor';
import { logitsInputKey } from './logits';
import { defaultRegistry } from './nodes/index';
import { INPUT_FEATURES_PORT, INPUT_LABELS_PORT } from './nodes/input';
import type { NodeRegistry } from './registry';
import type { CompiledNode, DatasetShapes, ForwardMode, SymbolicShape } from './types';
import { analyzeGraph, type GraphAnalysis } from './validate';

export interface ForwardResult {
  /** Scalar loss of the batch; for a language model, the mean next-token loss in nats per token. */
  loss: Tensor;
  /** Output of the node feeding the Loss's prediction port, [B, classCount], or [B, T, V] for a language model. */
  prediction: Tensor;
  /** Each node's first output, by node id, for activation views. */
  outputs: Map<string, Tensor>;
}

/** The attention weights one node used in the last forward pass. */
export interface AttentionCapture {
  nodeId: string;
  nodeType: string;
  /** One tensor [B, T, T] per head, query position by key position. */
  heads: Tensor[];
}

export interface CompiledModel {
  /** `classification` for an Input node, `language-model` for a Token input. */
  task: 'classification' | 'language-model';
  /** Trainable tensors by name, `<nodeId>.<local name>` (`fc1.weight`, `block1.attn.heads.0.w_q`), sorted by name. */
  parameters: Map<string, Tensor>;
  /** Context length of the Token input of a language model; null for classification. */
  contextLength: number | null;
  inputNodeId: string;
  lossNodeId: string;
  /** Node whose output feeds the Loss's prediction port. */
  predictionNodeId: string;
  /**
   * Runs the whole graph on one batch: `features` [B, ...featureShape] and one label
   * per sample, or for a language model token ids [B, T] (as numbers) and their B·T
   * next tokens. It records ops for backpropagation unless the caller wraps it in `noGrad`.
   */
  forward(features: Tensor, labels: Int32Array, mode: ForwardMode): ForwardResult;
  /** Runs only the nodes the prediction depends on, in eval mode without recording ops. */
  predict(features: Tensor): Tensor;
  /** Ids of the nodes with attention weights (heads, multi-head attention, blocks), in the order the forward pass runs them. */
  attentionNodeIds: string[];
  /** Returns each attention node's weights from the last forward pass, in `attentionNodeIds` order. */
  lastAttention(): AttentionCapture[];
  /**
   * Returns the logits [V] for the token after `context`, reading at most the last
   * `contextLength` tokens, in eval mode without recording ops. Language models only.
   */
  nextTokenLogits(context: Int32Array): Float32Array;
}

/** A graph that cannot compile; `issues` is the full list, `message` lists them one per line. */
export class GraphValidationError extends Error {
  readonly issues: ProjectIssue[];

  constructor(issues: ProjectIssue[]) {
    const lines = issues.map((issue) => `- ${issue.message}`);
    super(`The graph is invalid, so it cannot be compiled. Fix these ${issues.length} issue(s):\n${lines.join('\n')}`);
    this.name = 'GraphValidationError';
    this.issues = issues;
  }
}

/**
 * Validates and compiles `graph` for a dataset of the given shapes. Parameters are
 * initialised from `rng` node by node in order of node id, each node drawing from
 * its own fork, so the same seed always gives the same weights.
 * Throws `GraphValidationError` listing every issue when the graph is invalid.
 */
export function compileGraph(
  graph: ProjectGraph,
  dataset: DatasetShapes,
  rng: Rng,
  registry: NodeRegistry = defaultRegistry,
): CompiledModel {
  const analysis = analyzeGraph(graph, dataset, registry);
  if (analysis.issues.length > 0) throw new GraphValidationError(analysis.issues);

  const compiled = new Map<string, CompiledNode>();
  const parameters = new Map<string, Tensor>();
  const nodeIds = analysis.order.map((node) => node.id).sort(compareIds);
  const parameterOf = (nodeId: string, localName: string) => compiled.get(nodeId)?.parameters[localName];
  for (const nodeId of nodeIds) {
    const node = analysis.specs.get(nodeId)!.compile({
      nodeId,
      params: analysis.params.get(nodeId)!,
      inputShapes: inputShapesOf(nodeId, analysis),
      rng: rng.fork(),
      dataset,
      parameterOf,
    });
    compiled.set(nodeId, node);
    for (const localName of Object.keys(node.parameters).sort(compareIds)) {
      parameters.set(`${nodeId}.${localName}`, node.parameters[localName]);
    }
  }

  const inputNodeId = nodeIds.find((id) => analysis.specs.get(id)!.category === 'data')!;
  const lossNodeId = nodeIds.find((id) => analysis.specs.get(id)!.category === 'loss')!;
  const predictionEdge = analysis.incoming.get(lossNodeId)!.get('prediction')!;
  const predictionNodeId = predictionEdge.source;
  const lossPort = analysis.specs.get(lossNodeId)!.outputs[0].name;
  const predictionAncestors = ancestorsOf(predictionNodeId, analysis);
  const task = analysis.specs.get(inputNodeId)!.type === 'TokenInput' ? 'language-model' : 'classification';
  const contextLength = task === 'language-model' ? (analysis.params.get(inputNodeId)!.contextLength as number) : null;
  const attentionNodeIds = analysis.order.map((node) => node.id).filter((id) => compiled.get(id)!.lastAttention !== undefined);
  const logitsPort = analysis.specs.get(predictionNodeId)!.logitsInput;

  const run = (features: Tensor, labels: Int32Array, mode: ForwardMode, only?: ReadonlySet<string>) => {
    if (contextLength === null) checkBatch(features, labels, dataset);
    else checkTokenBatch(features, labels, dataset, contextLength);
    const labelValues = new Tensor(Float32Array.from(labels), [labels.length]); // [B] or [B·T]
    const values = new Map<string, Record<string, Tensor>>();
    const received = new Map<string, Record<string, Tensor>>();
    const outputs = new Map<string, Tensor>();

    for (const { id } of analysis.order) {
      if (only !== undefined && !only.has(id)) continue;
      const spec = analysis.specs.get(id)!;
      const inputs: Record<string, Tensor> =
        id === inputNodeId ? { [INPUT_FEATURES_PORT]: features, [INPUT_LABELS_PORT]: labelValues } : {};
      for (const [port, edge] of analysis.incoming.get(id) ?? []) {
        inputs[port] = values.get(edge.source)![edge.sourcePort];
        const logitsPort = analysis.specs.get(edge.source)!.logitsInput;
        if (logitsPort !== undefined) inputs[logitsInputKey(port)] = received.get(edge.source)![logitsPort];
      }

      const result = compiled.get(id)!.forward(inputs, mode);
      received.set(id, inputs);
      values.set(id, result);
      outputs.set(id, result[spec.outputs[0].name]);
    }
    return { values, outputs, received };
  };

  return {
    task,
    parameters,
    contextLength,
    inputNodeId,
    lossNodeId,
    predictionNodeId,

    forward(features, labels, mode) {
      const { values, outputs } = run(features, labels, mode);
      return {
        loss: values.get(lossNodeId)![lossPort],
        prediction: values.get(predictionNodeId)![predictionEdge.sourcePort],
        outputs,
      };
    },

    predict(features) {
      return noGrad(() => {
        // The labels only reach the Loss, which prediction skips, so zeros stand in for them.
        const placeholderLabels = new Int32Array(contextLength === null ? (features.shape[0] ?? 0) : features.numel);
        const { values } = run(features, placeholderLabels, 'eval', predictionAncestors);
        return values.get(predictionNodeId)![predictionEdge.sourcePort];
      });
    },

    attentionNodeIds,

    lastAttention() {
      return attentionNodeIds.map((nodeId) => ({
        nodeId,
        nodeType: analysis.specs.get(nodeId)!.type,
        heads: compiled.get(nodeId)!.lastAttention!(),
      }));
    },

    nextTokenLogits(context) {
      if (contextLength === null) throw new Error('nextTokenLogits: this model classifies samples; only a model with a Token input predicts next tokens.');
      if (context.length === 0) throw new Error('nextTokenLogits: the context is empty; give at least one token to continue from.');
      const window = context.subarray(Math.max(0, context.length - contextLength));
      const length = window.length;
      return noGrad(() => {
        const ids = new Tensor(Float32Array.from(window), [1, length]); // [1, T]
        const { values, received } = run(ids, new Int32Array(length), 'eval', predictionAncestors);
        // A Softmax in front of the Loss gives probabilities, so the logits entering it are read instead.
        const logits = logitsPort === undefined ? values.get(predictionNodeId)![predictionEdge.sourcePort] : received.get(predictionNodeId)![logitsPort]; // [1, T, V]
        const vocabularySize = logits.shape[2];
        return logits.data.slice((length - 1) * vocabularySize, length * vocabularySize); // [V] of the last position
      });
    },
  };
}

/** Orders ids by UTF-16 code units, the same on every machine, unlike `localeCompare`. */
function compareIds(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function inputShapesOf(nodeId: string, analysis: GraphAnalysis): Record<string, SymbolicShape> {
  const shapes: Record<string, SymbolicShape> = {};
  for (const [port, edge] of analysis.incoming.get(nodeId) ?? []) shapes[port] = analysis.edgeShapes.get(edge.id)!;
  return shapes;
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

function checkTokenBatch(tokens: Tensor, targets: Int32Array, dataset: DatasetShapes, contextLength: number): void {
  if (tokens.rank !== 2 || tokens.shape[1] > contextLength || tokens.shape[1] === 0) {
    throw new Error(`The language model expects token ids [B, T] with T from 1 to the context length ${contextLength}, but got ${formatShape(tokens.shape)}.`);
  }
  if (targets.length !== tokens.numel) {
    throw new Error(`The batch has ${tokens.numel} token positions but ${targets.length} targets. Pass one next token per position.`);
  }
  const vocabularySize = dataset.vocabularySize ?? 0;
  for (const target of targets) {
    if (target < 0 || target >= vocabularySize) throw new Error(`Target token ${target} is outside the vocabulary 0 to ${vocabularySize - 1}.`);
  }
}

function checkBatch(features: Tensor, labels: Int32Array, dataset: DatasetShapes): void {
  const sampleShape = features.shape.slice(1);
  const sampleSize = sampleShape.reduce((product, dim) => product * dim, 1);
  const expectedSize = dataset.featureShape.reduce((product, dim) => product * dim, 1);
  if (features.rank < 2 || sampleSize !== expectedSize) {
    throw new Error(
      `The model expects features of shape [B, ${dataset.featureShape.join(', ')}] but got ${formatShape(features.shape)}. Pass one row per sample.`,
    );
  }
  if (labels.length !== features.shape[0]) {
    throw new Error(`The batch has ${features.shape[0]} samples but ${labels.length} labels. Pass one label per sample.`);
  }
  for (const label of labels) {
    if (label < 0 || label >= dataset.classCount) {
      throw new Error(`Label ${label} is outside the dataset's classes 0 to ${dataset.classCount - 1}.`);
    }
  }
}
