/**
 * Pure edits of a project graph. Each returns a new graph and leaves its input
 * untouched, so the project store can keep old graphs on its undo stack.
 */

import type { FlowPoint, GraphEdge, GraphNode, NodeSharding, ParamValue, ProjectGraph } from '../../../shared/project';
import type { NodeTypeSpec } from '../../../engine/graph/types';
import type { GraphTemplate } from '../../../engine/graph/templates';

/** Port on one node: `{ nodeId, port }`. */
export interface PortRef {
  nodeId: string;
  port: string;
}

/** Picks the first free id of the form `<prefix><n>`, such as `dense3`. */
export function nextNodeId(graph: ProjectGraph, type: string): string {
  const prefix = type.toLowerCase().replace(/[^a-z0-9]/g, '');
  const taken = new Set(graph.nodes.map((node) => node.id));
  let index = 1;
  while (taken.has(`${prefix}${index}`)) index += 1;
  return `${prefix}${index}`;
}

export function edgeIdFor(source: PortRef, target: PortRef): string {
  return `${source.nodeId}.${source.port}->${target.nodeId}.${target.port}`;
}

/** Adds a node of `spec`'s type at `position` with every parameter at its default. */
export function addNode(graph: ProjectGraph, spec: NodeTypeSpec, position: FlowPoint): { graph: ProjectGraph; node: GraphNode } {
  const params: Record<string, ParamValue> = {};
  for (const param of spec.params) params[param.name] = param.default;

  const node: GraphNode = { id: nextNodeId(graph, spec.type), type: spec.type, position: { ...position }, params };
  return { graph: { nodes: [...graph.nodes, node], edges: graph.edges }, node };
}

/** Removes the nodes, every edge touching them, and the listed edges. */
export function removeElements(graph: ProjectGraph, nodeIds: Iterable<string>, edgeIds: Iterable<string>): ProjectGraph {
  const removedNodes = new Set(nodeIds);
  const removedEdges = new Set(edgeIds);
  const kept = graph.nodes.filter((node) => !removedNodes.has(node.id));
  // A node whose group was removed stays on the canvas, outside any group.
  const orphans = new Map(kept.filter((node) => node.parentId !== undefined && removedNodes.has(node.parentId)).map((node) => [node.id, null]));
  return {
    nodes: setParents({ nodes: kept, edges: [] }, orphans).nodes,
    edges: graph.edges.filter(
      (edge) => !removedEdges.has(edge.id) && !removedNodes.has(edge.source) && !removedNodes.has(edge.target),
    ),
  };
}

/**
 * Connects an output port to an input port. An input port takes one edge, so an
 * edge already arriving at `target` is replaced.
 */
export function connect(graph: ProjectGraph, source: PortRef, target: PortRef): ProjectGraph {
  const edge: GraphEdge = {
    id: edgeIdFor(source, target),
    source: source.nodeId,
    sourcePort: source.port,
    target: target.nodeId,
    targetPort: target.port,
  };
  const kept = graph.edges.filter((existing) => !(existing.target === target.nodeId && existing.targetPort === target.port));
  return { nodes: graph.nodes, edges: [...kept, edge] };
}

export function setParam(graph: ProjectGraph, nodeId: string, name: string, value: ParamValue): ProjectGraph {
  return {
    nodes: graph.nodes.map((node) => (node.id === nodeId ? { ...node, params: { ...node.params, [name]: value } } : node)),
    edges: graph.edges,
  };
}

/** Moves nodes to new positions; returns the same graph when nothing moved. */
export function moveNodes(graph: ProjectGraph, positions: ReadonlyMap<string, FlowPoint>): ProjectGraph {
  let moved = false;
  const nodes = graph.nodes.map((node) => {
    const position = positions.get(node.id);
    if (position === undefined || (position.x === node.position.x && position.y === node.position.y)) return node;
    moved = true;
    return { ...node, position: { x: position.x, y: position.y } };
  });
  return moved ? { nodes, edges: graph.edges } : graph;
}

/**
 * Puts nodes into a tensor-parallel group (a group id) or out of any group (null).
 * Returns the same graph when no membership changed.
 */
export function setParents(graph: ProjectGraph, parents: ReadonlyMap<string, string | null>): ProjectGraph {
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    if (!parents.has(node.id)) return node;
    const parentId = parents.get(node.id) ?? undefined;
    if (parentId === node.parentId) return node;
    changed = true;
    if (parentId !== undefined) return { ...node, parentId };
    const { parentId: _left, ...rest } = node;
    return rest;
  });
  return changed ? { nodes, edges: graph.edges } : graph;
}

/** Puts one node into a tensor-parallel group, or out of any group (null). */
export function setParent(graph: ProjectGraph, nodeId: string, parentId: string | null): ProjectGraph {
  return setParents(graph, new Map([[nodeId, parentId]]));
}

/** Sets a node's sharding override, or clears it (null) so the plan infers the sharding again. */
export function setSharding(graph: ProjectGraph, nodeId: string, sharding: NodeSharding | null): ProjectGraph {
  return {
    nodes: graph.nodes.map((node) => {
      if (node.id !== nodeId) return node;
      if (sharding !== null) return { ...node, sharding };
      const { sharding: _cleared, ...rest } = node;
      return rest;
    }),
    edges: graph.edges,
  };
}

/** Returns the first `<base><n>` (`block1`, `block2` …) that starts no node id of the graph as `<base><n>_`. */
export function nextTemplatePrefix(graph: ProjectGraph, base: string): string {
  let index = 1;
  while (graph.nodes.some((node) => node.id.startsWith(`${base}${index}_`) || node.id === `${base}${index}`)) index += 1;
  return `${base}${index}`;
}

/**
 * Adds the nodes and edges of a template. When `source` is given, its output is
 * wired into every input of the template, so the template continues the chain.
 */
export function insertTemplate(graph: ProjectGraph, template: GraphTemplate, source: PortRef | null): ProjectGraph {
  let next: ProjectGraph = { nodes: [...graph.nodes, ...template.nodes], edges: [...graph.edges, ...template.edges] };
  if (source !== null) {
    for (const input of template.inputs) next = connect(next, source, input);
  }
  return next;
}
