/**
 * Builds the nodes and edges Svelte Flow draws from the project graph and its
 * validation. The project graph stays the source of truth; Svelte Flow's arrays
 * are rebuilt from it on every edit, keeping what Svelte Flow measured.
 */

import type { Edge, Node } from '@xyflow/svelte';
import type { NodeCategory, PortSpec } from '../../../../engine/graph/types';
import { DEVICE_MESH_NODE_TYPE, type NodeSharding, type ParamValue, type ProjectGraph } from '../../../../shared/project';
import type { GraphValidation } from '../../lib/validation';
import type { CanvasParallelView } from '../../lib/parallelView';
import { groupFrames, isGroupNode, UNMEASURED_NODE_SIZE, type FlowSize } from './groupLayout';
import { findSpec } from '../../lib/registry';
import { formatSymbolicShape } from '../../../../engine/graph/shapes';

export interface LayerNodeData extends Record<string, unknown> {
  nodeType: string;
  label: string;
  category: NodeCategory | 'unknown';
  /** Parameters worth reading on the node itself, such as `units 128`. */
  summary: string[];
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  issues: string[];
  /** Attention heads of an attention node, which the node can list; null for other nodes. */
  headCount: number | null;
  /** Resolved sharding of a node in a tensor-parallel group, or null outside every group. */
  sharding: NodeSharding | null;
  /** Tensor indices whose devices store a distinct part of the node, or none when the plan has one device. */
  deviceParts: number[];
  /** Device count and split shown on a DeviceMesh node (`4 devices · data 2 × tensor 2`), or null on other nodes. */
  meshSummary: string | null;
}

export type LayerFlowNode = Node<LayerNodeData, 'layer'>;

export interface GroupNodeData extends Record<string, unknown> {
  issues: string[];
  memberCount: number;
  tensorParallel: number;
}

export type GroupFlowNode = Node<GroupNodeData, 'group-frame'>;

export type CanvasFlowNode = LayerFlowNode | GroupFlowNode;

function meshSummaryOf(params: Record<string, ParamValue>): string {
  const data = typeof params.dataParallel === 'number' ? params.dataParallel : 1;
  const tensor = typeof params.tensorParallel === 'number' ? params.tensorParallel : 1;
  const devices = data * tensor;
  const sequence = params.sequenceParallel === true ? ' + sequence' : '';
  return `${devices} ${devices === 1 ? 'device' : 'devices'} · data ${data} × tensor ${tensor}${sequence}`;
}

/** Node types whose attention weights the attention view shows, with the name of their head count parameter (null for one head). */
const ATTENTION_TYPES: Record<string, string | null> = {
  MultiHeadAttention: 'heads',
  TransformerBlock: 'heads',
  AttentionHead: null,
};

function headCountOf(type: string, params: Record<string, ParamValue>): number | null {
  if (!(type in ATTENTION_TYPES)) return null;
  const param = ATTENTION_TYPES[type];
  if (param === null) return 1;
  const count = params[param];
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : null;
}

function formatParam(value: ParamValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

function summarize(params: Record<string, ParamValue>, specNames: readonly string[]): string[] {
  return specNames.filter((name) => params[name] !== undefined).map((name) => `${name} ${formatParam(params[name])}`);
}

/**
 * Builds the nodes Svelte Flow draws. Tensor-parallel groups come first, because
 * Svelte Flow needs a parent before its children, and a child's position is made
 * relative to its group's frame.
 */
export function buildFlowNodes(
  graph: ProjectGraph,
  validation: GraphValidation,
  parallel: CanvasParallelView,
  selectedIds: ReadonlySet<string>,
  extraIssues: ReadonlyMap<string, string>,
  previous: readonly CanvasFlowNode[],
): CanvasFlowNode[] {
  const previousById = new Map(previous.map((node) => [node.id, node]));
  const sizeOf = (nodeId: string): FlowSize => {
    const measured = previousById.get(nodeId)?.measured;
    return measured?.width !== undefined && measured.height !== undefined ? { width: measured.width, height: measured.height } : UNMEASURED_NODE_SIZE;
  };
  const frames = groupFrames(graph, sizeOf);
  const issuesOf = (nodeId: string): string[] => {
    const issues = [...(validation.issuesByNode.get(nodeId) ?? [])];
    const extra = extraIssues.get(nodeId);
    if (extra !== undefined) issues.push(extra);
    return issues;
  };

  const groups: GroupFlowNode[] = graph.nodes.filter(isGroupNode).map((node) => {
    const frame = frames.get(node.id)!;
    return {
      id: node.id,
      type: 'group-frame',
      position: { x: frame.x, y: frame.y },
      width: frame.width,
      height: frame.height,
      zIndex: -1,
      data: {
        issues: issuesOf(node.id),
        memberCount: graph.nodes.filter((member) => member.parentId === node.id).length,
        tensorParallel: parallel.tensorParallel,
      },
      selected: selectedIds.has(node.id),
    };
  });

  const layers: LayerFlowNode[] = graph.nodes
    .filter((node) => !isGroupNode(node))
    .map((node) => {
      const spec = findSpec(node.type);
      const view = parallel.byNode.get(node.id);
      const data: LayerNodeData = {
        nodeType: node.type,
        label: spec?.label ?? node.type,
        category: spec?.category ?? 'unknown',
        summary: summarize(node.params, spec?.params.map((param) => param.name) ?? Object.keys(node.params)),
        inputs: spec?.inputs ?? [],
        outputs: spec?.outputs ?? [],
        issues: issuesOf(node.id),
        headCount: headCountOf(node.type, { ...defaultParams(node.type), ...node.params }),
        sharding: view?.groupId != null ? view.sharding : null,
        deviceParts: parallel.deviceCount > 1 && view !== undefined ? view.deviceParts : [],
        meshSummary: node.type === DEVICE_MESH_NODE_TYPE ? meshSummaryOf({ ...defaultParams(node.type), ...node.params }) : null,
      };
      const frame = node.parentId === undefined ? undefined : frames.get(node.parentId);
      const old = previousById.get(node.id);
      return {
        id: node.id,
        type: 'layer',
        // The project stores absolute positions; Svelte Flow wants a child's position relative to its parent.
        position: frame === undefined ? { ...node.position } : { x: node.position.x - frame.x, y: node.position.y - frame.y },
        ...(frame === undefined ? {} : { parentId: node.parentId }),
        data,
        selected: selectedIds.has(node.id),
        ...(old?.measured !== undefined ? { measured: old.measured } : {}),
      };
    });
  return [...groups, ...layers];
}

function defaultParams(type: string): Record<string, ParamValue> {
  return Object.fromEntries((findSpec(type)?.params ?? []).map((param) => [param.name, param.default]));
}

export function buildFlowEdges(graph: ProjectGraph, validation: GraphValidation, selectedIds: ReadonlySet<string>): Edge[] {
  return graph.edges.map((edge) => {
    const shape = validation.edgeShapes.get(edge.id);
    return {
      id: edge.id,
      source: edge.source,
      sourceHandle: edge.sourcePort,
      target: edge.target,
      targetHandle: edge.targetPort,
      selected: selectedIds.has(edge.id),
      ...(shape !== undefined ? { label: formatSymbolicShape(shape) } : {}),
    };
  });
}
