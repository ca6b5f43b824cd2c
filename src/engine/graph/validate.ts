/**
 * Graph validation and shape inference. Pure and linear in the size of the graph,
 * because the canvas calls it on every edit.
 */

import type { GraphEdge, GraphNode, ParamValue, ProjectGraph, ProjectIssue } from '../../shared/project';
import { defaultRegistry } from './nodes/index';
import { resolveParams, type NodeRegistry } from './registry';
import { findCycles } from './cycles';
import { checkParallelPlan, type PlanValidationOptions } from './parallelIssues';
import type { DatasetShapes, NodeTypeSpec, SymbolicShape } from './types';

export interface GraphValidation {
  issues: ProjectIssue[];
  /** Shape of each output port, by node id, for every node whose shapes could be inferred. */
  nodeShapes: Map<string, Record<string, SymbolicShape>>;
  /** Shape carried by each edge whose source shape is known. */
  edgeShapes: Map<string, SymbolicShape>;
}

/** Everything compilation needs beyond the validation result. */
export interface GraphAnalysis extends GraphValidation {
  /** Nodes with a known type and a unique id, sources before the nodes they feed. Nodes on or after a cycle are left out. */
  order: GraphNode[];
  specs: Map<string, NodeTypeSpec>;
  params: Map<string, Record<string, ParamValue>>;
  /** The one edge kept for each connected input port, by target node id and then port name. */
  incoming: Map<string, Map<string, GraphEdge>>;
}

/**
 * Validates the graph and its parallel plan (the DeviceMesh node, tensor-parallel
 * groups and sharding overrides). Pass `plan.batchSize` to also check that the batch
 * divides over the data-parallel replicas.
 */
export function validateGraph(
  graph: ProjectGraph,
  dataset: DatasetShapes,
  registry: NodeRegistry = defaultRegistry,
  plan: PlanValidationOptions = {},
): GraphValidation {
  const analysis = analyzeGraph(graph, dataset, registry);
  const { issues, nodeShapes, edgeShapes } = analysis;
  issues.push(...checkParallelPlan(graph, analysis, plan));
  return { issues, nodeShapes, edgeShapes };
}

export function analyzeGraph(
  graph: ProjectGraph,
  dataset: DatasetShapes,
  registry: NodeRegistry = defaultRegistry,
): GraphAnalysis {
  const issues: ProjectIssue[] = [];
  const nodes = new Map<string, GraphNode>();
  const nodePaths = new Map<string, string>();
  const specs = new Map<string, NodeTypeSpec>();
  const params = new Map<string, Record<string, ParamValue>>();
  const invalidParams = new Set<string>();
  const inputNodes: string[] = [];
  const lossNodes: string[] = [];

  graph.nodes.forEach((node, index) => {
    const path = `graph.nodes[${index}]`;
    const first = nodePaths.get(node.id);
    if (first !== undefined) {
      issues.push({
        path: `${path}.id`,
        nodeId: node.id,
        message: `Two nodes have the id "${node.id}" (${first} and ${path}). Give each node its own id.`,
      });
      return;
    }
    nodes.set(node.id, node);
    nodePaths.set(node.id, path);

    const spec = registry.get(node.type);
    if (spec === undefined) {
      const known = registry.list().map((entry) => entry.type).join(', ');
      issues.push({
        path: `${path}.type`,
        nodeId: node.id,
        message: `Node "${node.id}" has the unknown type "${node.type}". Known types are ${known}. Replace or delete the node.`,
      });
      return;
    }
    specs.set(node.id, spec);
    if (spec.category === 'data') inputNodes.push(node.id);
    if (spec.category === 'loss') lossNodes.push(node.id);

    const resolved = resolveParams(spec, node.params ?? {}, node.id, `${path}.params`);
    params.set(node.id, resolved.params);
    if (resolved.issues.length > 0) {
      invalidParams.add(node.id);
      issues.push(...resolved.issues);
    }
  });

  const { incoming, outgoing } = checkEdges(graph.edges, nodes, specs, issues);
  checkNodeCounts(inputNodes, lossNodes, nodePaths, issues);
  checkRequiredPorts(graph.edges, specs, nodePaths, issues);

  // Plan nodes compute nothing, so shape inference and compilation never see them.
  const order = topologicalOrder(graph.nodes, nodes, specs, outgoing, incoming).filter((node) => specs.get(node.id)?.planOnly !== true);
  const computingCount = [...specs.values()].filter((spec) => spec.planOnly !== true).length;
  if (order.length < computingCount) reportCycles(order, specs, outgoing, nodePaths, issues);

  const { nodeShapes, edgeShapes } = inferShapes(order, { specs, params, invalidParams, incoming, outgoing, nodePaths, dataset }, issues);
  return { issues, nodeShapes, edgeShapes, order, specs, params, incoming };
}

/** Reports each required input port that no edge enters. */
function checkRequiredPorts(
  edges: readonly GraphEdge[],
  specs: ReadonlyMap<string, NodeTypeSpec>,
  nodePaths: ReadonlyMap<string, string>,
  issues: ProjectIssue[],
): void {
  // A port with only unusable edges (from a missing or unknown node) is reported through those edges, not as unconnected.
  const attachedPorts = new Set(edges.map((edge) => portKey(edge.target, edge.targetPort)));
  for (const [nodeId, spec] of specs) {
    for (const port of spec.inputs) {
      if (!port.required || attachedPorts.has(portKey(nodeId, port.name))) continue;
      issues.push({
        path: nodePaths.get(nodeId),
        nodeId,
        port: port.name,
        message: `${spec.type} node "${nodeId}": the required input port ${port.name} is not connected. Connect an edge to it.`,
      });
    }
  }
}

/** Reports one cycle per group of nodes that the topological order could not place. */
function reportCycles(
  order: readonly GraphNode[],
  specs: ReadonlyMap<string, NodeTypeSpec>,
  outgoing: ReadonlyMap<string, readonly GraphEdge[]>,
  nodePaths: ReadonlyMap<string, string>,
  issues: ProjectIssue[],
): void {
  const ordered = new Set(order.map((node) => node.id));
  const remaining = [...specs.keys()].filter((id) => !ordered.has(id));
  for (const cycle of findCycles(remaining, outgoing)) {
    const names = [...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ');
    issues.push({
      path: nodePaths.get(cycle[0]),
      nodeId: cycle[0],
      message: `Nodes ${names} form a cycle. Data must flow one way from Input to Loss, so delete one of these edges.`,
    });
  }
}

/** The checked parts of a graph that shape inference reads. */
interface GraphIndex {
  specs: ReadonlyMap<string, NodeTypeSpec>;
  params: ReadonlyMap<string, Record<string, ParamValue>>;
  invalidParams: ReadonlySet<string>;
  incoming: ReadonlyMap<string, ReadonlyMap<string, GraphEdge>>;
  outgoing: ReadonlyMap<string, readonly GraphEdge[]>;
  nodePaths: ReadonlyMap<string, string>;
  dataset: DatasetShapes;
}

/**
 * Runs each node's shape rule in topological order. A node is skipped when its
 * parameters are invalid or an input shape is unknown, because that problem is
 * already reported where it starts.
 */
function inferShapes(
  order: readonly GraphNode[],
  index: GraphIndex,
  issues: ProjectIssue[],
): Pick<GraphValidation, 'nodeShapes' | 'edgeShapes'> {
  const nodeShapes = new Map<string, Record<string, SymbolicShape>>();
  const edgeShapes = new Map<string, SymbolicShape>();
  const lookupNode = (nodeId: string) => {
    const spec = index.specs.get(nodeId);
    const params = index.params.get(nodeId);
    return spec === undefined || params === undefined ? undefined : { type: spec.type, params };
  };
  for (const node of order) {
    const spec = index.specs.get(node.id)!;
    const ports = index.incoming.get(node.id);
    const inputs: Record<string, SymbolicShape | undefined> = {};
    let ready = !index.invalidParams.has(node.id);
    for (const port of spec.inputs) {
      const edge = ports?.get(port.name);
      const shape = edge === undefined ? undefined : edgeShapes.get(edge.id);
      if ((edge !== undefined && shape === undefined) || (edge === undefined && port.required)) ready = false;
      inputs[port.name] = shape;
    }
    if (!ready) continue;

    const result = spec.inferShape({ nodeId: node.id, params: index.params.get(node.id)!, inputs, dataset: index.dataset, lookupNode });
    if (!result.ok) {
      issues.push({
        path: index.nodePaths.get(node.id),
        nodeId: node.id,
        ...(result.port === undefined ? {} : { port: result.port }),
        message: result.message,
      });
      continue;
    }
    nodeShapes.set(node.id, result.outputs);
    for (const edge of index.outgoing.get(node.id) ?? []) {
      const shape = result.outputs[edge.sourcePort];
      if (shape !== undefined) edgeShapes.set(edge.id, shape);
    }
  }
  return { nodeShapes, edgeShapes };
}

/**
 * Checks every edge and returns the usable ones, indexed both ways. An edge is
 * usable when its id is new, both nodes exist with known types, both ports exist
 * and its input port has no earlier edge.
 */
function checkEdges(
  edges: readonly GraphEdge[],
  nodes: ReadonlyMap<string, GraphNode>,
  specs: ReadonlyMap<string, NodeTypeSpec>,
  issues: ProjectIssue[],
): { incoming: Map<string, Map<string, GraphEdge>>; outgoing: Map<string, GraphEdge[]> } {
  const incoming = new Map<string, Map<string, GraphEdge>>();
  const outgoing = new Map<string, GraphEdge[]>();
  const edgePaths = new Map<string, string>();

  edges.forEach((edge, index) => {
    const path = `graph.edges[${index}]`;
    const first = edgePaths.get(edge.id);
    if (first !== undefined) {
      issues.push({
        path: `${path}.id`,
        nodeId: nodes.has(edge.target) ? edge.target : edge.source,
        message: `Two edges have the id "${edge.id}" (${first} and ${path}). Give each edge its own id.`,
      });
      return;
    }
    edgePaths.set(edge.id, path);

    for (const end of ['source', 'target'] as const) {
      const nodeId = edge[end];
      if (nodes.has(nodeId)) continue;
      const other = end === 'source' ? edge.target : edge.source;
      const otherPort = end === 'source' ? edge.targetPort : edge.sourcePort;
      issues.push({
        path: `${path}.${end}`,
        nodeId: nodes.has(other) ? other : nodeId,
        ...(nodes.has(other) ? { port: otherPort } : {}),
        message: `Edge "${edge.id}" ${end === 'source' ? 'starts at' : 'ends at'} node "${nodeId}", which does not exist. Delete the edge.`,
      });
      return;
    }

    const sourceSpec = specs.get(edge.source);
    const targetSpec = specs.get(edge.target);
    // Edges of a node with an unknown type cannot be checked, so only the node itself is reported.
    if (sourceSpec === undefined || targetSpec === undefined) return;

    if (!sourceSpec.outputs.some((port) => port.name === edge.sourcePort)) {
      issues.push({
        path: `${path}.sourcePort`,
        nodeId: edge.source,
        port: edge.sourcePort,
        message: `Edge "${edge.id}" leaves port "${edge.sourcePort}" of ${sourceSpec.type} node "${edge.source}", which has no such output. Its outputs are ${listPorts(sourceSpec.outputs)}.`,
      });
      return;
    }
    if (!targetSpec.inputs.some((port) => port.name === edge.targetPort)) {
      issues.push({
        path: `${path}.targetPort`,
        nodeId: edge.target,
        port: edge.targetPort,
        message: `Edge "${edge.id}" enters port "${edge.targetPort}" of ${targetSpec.type} node "${edge.target}", which has no such input. Its inputs are ${listPorts(targetSpec.inputs)}.`,
      });
      return;
    }

    let ports = incoming.get(edge.target);
    if (ports === undefined) {
      ports = new Map();
      incoming.set(edge.target, ports);
    }
    const existing = ports.get(edge.targetPort);
    if (existing !== undefined) {
      issues.push({
        path,
        nodeId: edge.target,
        port: edge.targetPort,
        message: `${targetSpec.type} node "${edge.target}": input port ${edge.targetPort} has two incoming edges ("${existing.id}" and "${edge.id}") but takes one. Delete one of them.`,
      });
      return;
    }
    ports.set(edge.targetPort, edge);
    const leaving = outgoing.get(edge.source);
    if (leaving === undefined) outgoing.set(edge.source, [edge]);
    else leaving.push(edge);
  });

  return { incoming, outgoing };
}

function portKey(nodeId: string, port: string): string {
  return JSON.stringify([nodeId, port]);
}

function listPorts(ports: readonly { name: string }[]): string {
  return ports.length === 0 ? 'none' : ports.map((port) => port.name).join(', ');
}

function checkNodeCounts(
  inputNodes: readonly string[],
  lossNodes: readonly string[],
  nodePaths: ReadonlyMap<string, string>,
  issues: ProjectIssue[],
): void {
  const counted = [
    { type: 'Input', ids: inputNodes, fix: 'Add one from the palette and connect its features to the first layer' },
    { type: 'Loss', ids: lossNodes, fix: 'Add one from the palette and connect the last layer and the labels to it' },
  ];
  for (const { type, ids, fix } of counted) {
    // NOTE: a missing node has no id to attach the issue to, so this issue carries only the path of the node list.
    if (ids.length === 0) issues.push({ path: 'graph.nodes', message: `The graph has no ${type} node. ${fix}.` });
    for (const extra of ids.slice(1)) {
      issues.push({
        path: nodePaths.get(extra),
        nodeId: extra,
        message: `The graph has more than one ${type} node ("${ids[0]}" and "${extra}"). A graph takes exactly one, so delete "${extra}".`,
      });
    }
  }
}

/** Kahn's algorithm over the usable edges, keeping the file's node order among ready nodes. */
function topologicalOrder(
  allNodes: readonly GraphNode[],
  nodes: ReadonlyMap<string, GraphNode>,
  specs: ReadonlyMap<string, NodeTypeSpec>,
  outgoing: ReadonlyMap<string, readonly GraphEdge[]>,
  incoming: ReadonlyMap<string, ReadonlyMap<string, GraphEdge>>,
): GraphNode[] {
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const node of allNodes) {
    if (!specs.has(node.id) || nodes.get(node.id) !== node || waiting.has(node.id)) continue;
    const count = incoming.get(node.id)?.size ?? 0;
    waiting.set(node.id, count);
    if (count === 0) ready.push(node.id);
  }

  const order: GraphNode[] = [];
  for (let next = 0; next < ready.length; next++) {
    const nodeId = ready[next];
    order.push(nodes.get(nodeId)!);
    for (const edge of outgoing.get(nodeId) ?? []) {
      const left = waiting.get(edge.target)! - 1;
      waiting.set(edge.target, left);
      if (left === 0) ready.push(edge.target);
    }
  }
  return order;
}
