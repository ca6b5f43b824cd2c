/**
 * Builds the nodes and edges Svelte Flow draws from the project graph and its
 * validation. The project graph stays the source of truth; Svelte Flow's arrays
 * are rebuilt from it on every edit, keeping what Svelte Flow measured.
 */

import type { Edge, Node } from '@xyflow/svelte';
import type { NodeCategory, PortSpec } from '../../../../engine/graph/types';
import type { ParamValue, ProjectGraph } from '../../../../shared/project';
import type { GraphValidation } from '../../lib/validation';
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
}

export type LayerFlowNode = Node<LayerNodeData, 'layer'>;

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

export function buildFlowNodes(
  graph: ProjectGraph,
  validation: GraphValidation,
  selectedIds: ReadonlySet<string>,
  extraIssues: ReadonlyMap<string, string>,
  previous: readonly LayerFlowNode[],
): LayerFlowNode[] {
  const previousById = new Map(previous.map((node) => [node.id, node]));

  return graph.nodes.map((node) => {
    const spec = findSpec(node.type);
    const issues = [...(validation.issuesByNode.get(node.id) ?? [])];
    const extra = extraIssues.get(node.id);
    if (extra !== undefined) issues.push(extra);

    const data: LayerNodeData = {
      nodeType: node.type,
      label: spec?.label ?? node.type,
      category: spec?.category ?? 'unknown',
      summary: summarize(node.params, spec?.params.map((param) => param.name) ?? Object.keys(node.params)),
      inputs: spec?.inputs ?? [],
      outputs: spec?.outputs ?? [],
      issues,
      headCount: headCountOf(node.type, { ...defaultParams(node.type), ...node.params }),
    };
    const old = previousById.get(node.id);
    return {
      id: node.id,
      type: 'layer',
      position: { ...node.position },
      data,
      selected: selectedIds.has(node.id),
      ...(old?.measured !== undefined ? { measured: old.measured } : {}),
    };
  });
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
