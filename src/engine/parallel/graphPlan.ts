/**
 * The parallel plan of a node graph. A DeviceMesh node sets the data and tensor
 * sizes and sequence parallelism, layers whose `parentId` is a TensorParallelGroup
 * node form the tensor group, and a node's `sharding` overrides the inferred split.
 *
 * An MLP graph names its plan layers by node id. A transformer graph (Token input,
 * Embedding, positional encoding, TransformerBlock nodes, a final norm and an
 * Unembedding) runs as the language model of transformerWorkload.ts. Its layers are
 * named `blocks.0.attn`, `blocks.0.ff.fc1` and so on, so a block node in the group
 * puts its attention and both feed-forward layers in the group.
 */

import {
  DEVICE_MESH_NODE_TYPE,
  TENSOR_PARALLEL_GROUP_NODE_TYPE,
  type GraphNode,
  type NodeSharding,
  type ProjectGraph,
} from '../../shared/project';
import type { GraphAnalysis } from '../graph/validate';
import type { ParallelPlan, PlanLayer, PlanModel, ShardingKind } from './plan';
import type { TransformerWorkloadConfig } from './transformerWorkload';

/** Node types that carry a plan rather than a computation. */
export const PLAN_NODE_TYPES: ReadonlySet<string> = new Set([DEVICE_MESH_NODE_TYPE, TENSOR_PARALLEL_GROUP_NODE_TYPE]);

/** Shardings a user may set on each node type; a type missing here accepts no override. */
export const ALLOWED_SHARDINGS: Readonly<Record<string, readonly NodeSharding[]>> = {
  Dense: ['column', 'row', 'replicated'],
  MultiHeadAttention: ['heads', 'replicated'],
  TransformerBlock: ['heads', 'replicated'],
  LayerNorm: ['replicated'],
  RMSNorm: ['replicated'],
  ReLU: ['replicated'],
  GELU: ['replicated'],
  Sigmoid: ['replicated'],
  Tanh: ['replicated'],
  Dropout: ['replicated'],
};

/** Returns the DeviceMesh nodes of `graph`; a valid graph has at most one. */
export function meshNodesOf(graph: ProjectGraph): GraphNode[] {
  return graph.nodes.filter((node) => node.type === DEVICE_MESH_NODE_TYPE);
}

/**
 * Returns the plan that the DeviceMesh node and the tensor-parallel groups of `graph`
 * describe, or null when the graph has no DeviceMesh node. The plan is not checked
 * against the model: pass it to `resolvePlan` (the executor does) for that.
 */
export function planFromGraph(graph: ProjectGraph): ParallelPlan | null {
  const mesh = meshNodesOf(graph)[0];
  if (mesh === undefined) return null;
  const dataParallel = numberParam(mesh, 'dataParallel', 1);
  const tensorParallel = numberParam(mesh, 'tensorParallel', 1);
  const sequenceParallel = mesh.params.sequenceParallel === true;

  const groupIds = new Set(graph.nodes.filter((node) => node.type === TENSOR_PARALLEL_GROUP_NODE_TYPE).map((node) => node.id));
  const blockIndex = transformerBlockIndex(graph);
  const tensorGroup: string[] = [];
  const sharding: Record<string, ShardingKind> = {};
  for (const node of graph.nodes) {
    if (node.parentId === undefined || !groupIds.has(node.parentId)) continue;
    const block = blockIndex.get(node.id);
    if (block === undefined) {
      tensorGroup.push(node.id);
      if (node.sharding !== undefined) sharding[node.id] = node.sharding;
      continue;
    }
    // A replicated block stays out of the group; otherwise attention goes by heads and the feed-forward column then row.
    if (node.sharding === 'replicated') continue;
    tensorGroup.push(`blocks.${block}.attn`, `blocks.${block}.ff.fc1`, `blocks.${block}.ff.fc2`);
  }
  return { dataParallel, tensorParallel, sequenceParallel, tensorGroup, sharding };
}

/** Returns the plan for `deviceCount` devices of a graph without a DeviceMesh node: data parallel over all of them. */
export function dataParallelPlan(deviceCount: number): ParallelPlan {
  return { dataParallel: deviceCount, tensorParallel: 1, sequenceParallel: false, tensorGroup: [], sharding: {} };
}

/** Returns the index of every TransformerBlock node in forward order (0 for the first block), by node id. */
export function transformerBlockIndex(graph: ProjectGraph): Map<string, number> {
  const blocks = orderAlongEdges(graph).filter((node) => node.type === 'TransformerBlock');
  return new Map(blocks.map((node, index) => [node.id, index]));
}

/**
 * Returns the layers of an analysed graph as plan validation reads them, named as
 * `planFromGraph` names them, or null for a graph the plan executor cannot describe.
 * `batchSize` and `dataParallel` size the axis that sequence parallelism splits.
 */
export function describeGraphForPlan(analysis: GraphAnalysis, batchSize: number, dataParallel: number): PlanModel | null {
  const layers: PlanLayer[] = [];
  let sequenceLength = batchSize / dataParallel;
  let sequenceAxisName = 'rows per data replica';
  let blockIndex = 0;
  for (const node of analysis.order) {
    const spec = analysis.specs.get(node.id)!;
    const params = analysis.params.get(node.id)!;
    const inputEdge = analysis.incoming.get(node.id)?.get('input');
    const inShape = inputEdge === undefined ? undefined : analysis.edgeShapes.get(inputEdge.id);
    const inFeatures = inShape === undefined ? undefined : lastNumber(inShape);
    if (spec.type === 'TokenInput') {
      sequenceLength = params.contextLength as number;
      sequenceAxisName = 'sequence length';
    } else if (spec.type === 'Dense') {
      layers.push({ id: node.id, kind: 'dense', inFeatures, outFeatures: params.units as number });
    } else if (spec.type === 'MultiHeadAttention') {
      layers.push({ id: node.id, kind: 'attention', headCount: params.heads as number, inFeatures, outFeatures: inFeatures });
    } else if (spec.type === 'TransformerBlock') {
      const prefix = `blocks.${blockIndex++}`;
      const hidden = params.hiddenWidth as number;
      layers.push(
        { id: `${prefix}.ln1`, kind: 'norm' },
        { id: `${prefix}.attn`, kind: 'attention', headCount: params.heads as number, inFeatures, outFeatures: inFeatures },
        { id: `${prefix}.ln2`, kind: 'norm' },
        { id: `${prefix}.ff.fc1`, kind: 'dense', inFeatures, outFeatures: hidden },
        { id: `${prefix}.ff.gelu`, kind: 'elementwise' },
        { id: `${prefix}.ff.fc2`, kind: 'dense', inFeatures: hidden, outFeatures: inFeatures },
      );
    } else if (spec.type === 'LayerNorm' || spec.type === 'RMSNorm') {
      layers.push({ id: node.id, kind: 'norm' });
    } else if (['ReLU', 'GELU', 'Sigmoid', 'Tanh', 'Dropout'].includes(spec.type)) {
      layers.push({ id: node.id, kind: 'elementwise' });
    } else if (spec.category !== 'data') {
      layers.push({ id: node.id, kind: 'rowwise' });
    }
  }
  return { layers, batchSize, sequenceLength, sequenceAxisName };
}

/** A transformer graph as the language model of the transformer workload, with the map between their parameter names. */
export interface TransformerGraph {
  config: Omit<TransformerWorkloadConfig, 'vocabularySize'>;
  /** Replaces the workload's name prefix (`blocks.0.`) with the graph's (`block1.`). */
  toGraphName(workloadName: string): string;
}

/**
 * Reads a transformer graph of the form Token input → Embedding → PositionalEncoding →
 * TransformerBlock … → LayerNorm or RMSNorm → Unembedding → Loss, with one block
 * setting shared by every block. Returns null and the reason for any other graph.
 */
export function readTransformerGraph(graph: ProjectGraph): { ok: true; value: TransformerGraph } | { ok: false; reason: string } {
  const chain = orderAlongEdges(graph).filter((node) => !PLAN_NODE_TYPES.has(node.type));
  const types = chain.map((node) => node.type);
  const blocks = chain.filter((node) => node.type === 'TransformerBlock');
  const expected = ['TokenInput', 'Embedding', 'PositionalEncoding', ...blocks.map(() => 'TransformerBlock'), types[3 + blocks.length], 'Unembedding', 'Loss'];
  const fits =
    blocks.length > 0 &&
    types.length === expected.length &&
    types.every((type, index) => type === expected[index]) &&
    (types[3 + blocks.length] === 'LayerNorm' || types[3 + blocks.length] === 'RMSNorm');
  if (!fits) {
    return {
      ok: false,
      reason: `The plan executor runs transformer graphs of the form TokenInput → Embedding → PositionalEncoding → TransformerBlock … → LayerNorm → Unembedding → Loss, but this graph is ${types.join(' → ')}.`,
    };
  }

  const [tokens, embedding, position] = chain;
  const finalNorm = chain[3 + blocks.length];
  const unembedding = chain[4 + blocks.length];
  const first = blocks[0].params;
  for (const block of blocks) {
    for (const name of ['heads', 'hiddenWidth', 'norm', 'approximate', 'dropout'] as const) {
      if (block.params[name] !== first[name]) {
        return { ok: false, reason: `TransformerBlock "${block.id}" sets ${name} to ${String(block.params[name])} but "${blocks[0].id}" to ${String(first[name])}. The plan executor needs the same setting in every block.` };
      }
    }
  }
  const normKind = first.norm === 'rms' ? 'RMSNorm' : 'LayerNorm';
  if (finalNorm.type !== normKind) {
    return { ok: false, reason: `Norm node "${finalNorm.id}" is a ${finalNorm.type}, but the blocks use ${normKind}. Use the same normalisation in both.` };
  }
  if (unembedding.params.bias === true) {
    return { ok: false, reason: `Unembedding node "${unembedding.id}" has a bias, which the parallel language model lacks. Turn its bias off.` };
  }
  const tied = unembedding.params.tieTo === embedding.id;

  const prefixes: Array<[string, string]> = [
    ['token_embedding.', `${embedding.id}.`],
    ['position.', `${position.id}.`],
    ['ln_f.', `${finalNorm.id}.`],
    ['lm_head.', `${unembedding.id}.`],
    ...blocks.map((block, index): [string, string] => [`blocks.${index}.`, `${block.id}.`]),
  ];
  return {
    ok: true,
    value: {
      config: {
        contextLength: numberParam(tokens, 'contextLength', 64),
        modelWidth: numberParam(embedding, 'width', 64),
        headCount: numberParam(blocks[0], 'heads', 4),
        layerCount: blocks.length,
        feedForwardWidth: numberParam(blocks[0], 'hiddenWidth', 256),
        positional: position.params.kind === 'sinusoidal' ? 'sinusoidal' : 'learned',
        tieWeights: tied,
        norm: first.norm === 'rms' ? 'rms' : 'layer',
        approximate: first.approximate === 'tanh' ? 'tanh' : 'none',
        dropout: typeof first.dropout === 'number' ? first.dropout : 0,
      },
      toGraphName(workloadName) {
        const match = prefixes.find(([from]) => workloadName.startsWith(from));
        return match === undefined ? workloadName : match[1] + workloadName.slice(match[0].length);
      },
    },
  };
}

/** One layer's place in the plan, for drawing the canvas. */
export interface NodeShardingView {
  nodeId: string;
  /** How the layer is split, or `replicated` outside the tensor group. */
  sharding: ShardingKind;
  /** The tensor-parallel group node the layer sits in, or null. */
  groupId: string | null;
  /**
   * Tensor indices (0 to tensorParallel − 1) whose devices store a distinct part of the
   * layer. A split layer lists every index, and a replicated one only [0], because each
   * device stores the same copy. Colour a node by these.
   */
  deviceParts: number[];
  /** Share of the layer's weights one device holds: 1 / tensorParallel for a split layer, 1 otherwise. */
  weightShare: number;
}

/**
 * Returns every computing node's sharding under the plan of `graph`, for the canvas to
 * colour by device. `layerSharding` is the resolved sharding by layer name (from
 * `inferSharding`, or `parallelViewOf` in graph/parallelView.ts, which computes it), and
 * a layer missing from it is replicated.
 */
export function describeGraphSharding(graph: ProjectGraph, layerSharding: ReadonlyMap<string, ShardingKind>): NodeShardingView[] {
  const plan = planFromGraph(graph);
  const tensorParallel = plan?.tensorParallel ?? 1;
  const groupIds = new Set(graph.nodes.filter((node) => node.type === TENSOR_PARALLEL_GROUP_NODE_TYPE).map((node) => node.id));
  const blockIndex = transformerBlockIndex(graph);
  const views: NodeShardingView[] = [];
  for (const node of graph.nodes) {
    if (PLAN_NODE_TYPES.has(node.type)) continue;
    const block = blockIndex.get(node.id);
    const layerName = block === undefined ? node.id : `blocks.${block}.attn`;
    const sharding = layerSharding.get(layerName) ?? 'replicated';
    const split = sharding !== 'replicated' && tensorParallel > 1;
    views.push({
      nodeId: node.id,
      sharding,
      groupId: node.parentId !== undefined && groupIds.has(node.parentId) ? node.parentId : null,
      deviceParts: split ? Array.from({ length: tensorParallel }, (_, index) => index) : [0],
      weightShare: split ? 1 / tensorParallel : 1,
    });
  }
  return views;
}

/** Returns the nodes in the order of a walk along the edges from the nodes without inputs, then any left over. */
function orderAlongEdges(graph: ProjectGraph): GraphNode[] {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const waiting = new Map<string, number>();
  for (const node of graph.nodes) waiting.set(node.id, 0);
  for (const edge of graph.edges) {
    if (byId.has(edge.source) && byId.has(edge.target)) waiting.set(edge.target, (waiting.get(edge.target) ?? 0) + 1);
  }
  const ready = graph.nodes.filter((node) => waiting.get(node.id) === 0).map((node) => node.id);
  const order: GraphNode[] = [];
  const placed = new Set<string>();
  for (let next = 0; next < ready.length; next++) {
    const id = ready[next];
    if (placed.has(id)) continue;
    placed.add(id);
    order.push(byId.get(id)!);
    for (const edge of graph.edges) {
      if (edge.source !== id || !byId.has(edge.target)) continue;
      const left = waiting.get(edge.target)! - 1;
      waiting.set(edge.target, left);
      if (left === 0) ready.push(edge.target);
    }
  }
  for (const node of graph.nodes) if (!placed.has(node.id)) order.push(node);
  return order;
}

function numberParam(node: GraphNode, name: string, fallback: number): number {
  const value = node.params[name];
  return typeof value === 'number' ? value : fallback;
}

function lastNumber(shape: readonly (number | string)[]): number | undefined {
  const last = shape[shape.length - 1];
  return typeof last === 'number' ? last : undefined;
}
