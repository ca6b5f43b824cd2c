/**
 * Validation of the parallel plan on a graph: the DeviceMesh node, the
 * tensor-parallel groups and the sharding overrides. Each issue lands on the node
 * it is about, so the canvas shows it while the user wires.
 */

import {
  DEVICE_MESH_NODE_TYPE,
  NODE_SHARDINGS,
  TENSOR_PARALLEL_GROUP_NODE_TYPE,
  type ProjectGraph,
  type ProjectIssue,
} from '../../shared/project';
import { ALLOWED_SHARDINGS, describeGraphForPlan, meshNodesOf, planFromGraph, transformerBlockIndex } from '../parallel/graphPlan';
import { ParallelPlanError, resolvePlan } from '../parallel/plan';
import type { GraphAnalysis } from './validate';

export interface PlanValidationOptions {
  /** The training batch size. Without it the checks that need the batch are skipped. */
  batchSize?: number;
}

/** Returns every problem of the graph's parallel plan, located by node and, for the batch size, by field. */
export function checkParallelPlan(graph: ProjectGraph, analysis: GraphAnalysis, options: PlanValidationOptions = {}): ProjectIssue[] {
  const issues: ProjectIssue[] = [];
  const paths = new Map(graph.nodes.map((node, index) => [node.id, `graph.nodes[${index}]`]));
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const meshes = meshNodesOf(graph);
  const groups = graph.nodes.filter((node) => node.type === TENSOR_PARALLEL_GROUP_NODE_TYPE);

  for (const extra of meshes.slice(1)) {
    issues.push({
      path: paths.get(extra.id),
      nodeId: extra.id,
      message: `The graph has more than one DeviceMesh node ("${meshes[0].id}" and "${extra.id}"). A graph takes at most one, so delete "${extra.id}".`,
    });
  }
  if (meshes.length === 0) {
    for (const group of groups) {
      issues.push({
        path: paths.get(group.id),
        nodeId: group.id,
        message: `Tensor-parallel group "${group.id}" has no device mesh to split over. Add a DeviceMesh node with tensor parallel 2 or more, or delete the group.`,
      });
    }
  }

  for (const node of graph.nodes) {
    const path = paths.get(node.id);
    if (node.parentId !== undefined) {
      const parent = byId.get(node.parentId);
      if (parent === undefined || parent.type !== TENSOR_PARALLEL_GROUP_NODE_TYPE) {
        const what = parent === undefined ? 'does not exist' : `is a ${parent.type} node`;
        issues.push({
          path: `${path}.parentId`,
          nodeId: node.id,
          message: `Node "${node.id}" sits in "${node.parentId}", which ${what}. Move it into a TensorParallelGroup node or out of any group.`,
        });
      } else if (node.type === DEVICE_MESH_NODE_TYPE || node.type === TENSOR_PARALLEL_GROUP_NODE_TYPE) {
        issues.push({ path: `${path}.parentId`, nodeId: node.id, message: `${node.type} node "${node.id}" cannot sit in a tensor-parallel group. Move it out of "${node.parentId}".` });
      }
    }
    if (node.sharding === undefined) continue;
    const allowed = ALLOWED_SHARDINGS[node.type] ?? [];
    if (!NODE_SHARDINGS.includes(node.sharding)) {
      issues.push({ path: `${path}.sharding`, nodeId: node.id, message: `Node "${node.id}" has the unknown sharding "${String(node.sharding)}". Use one of ${NODE_SHARDINGS.join(', ')}.` });
    } else if (!allowed.includes(node.sharding)) {
      const hint = allowed.length === 0 ? 'This node type takes no sharding, so remove it.' : `Use ${allowed.map((kind) => `"${kind}"`).join(' or ')}.`;
      issues.push({ path: `${path}.sharding`, nodeId: node.id, message: `${node.type} node "${node.id}" cannot be sharded as "${node.sharding}". ${hint}` });
    } else if (node.parentId === undefined || byId.get(node.parentId)?.type !== TENSOR_PARALLEL_GROUP_NODE_TYPE) {
      issues.push({ path: `${path}.sharding`, nodeId: node.id, message: `Node "${node.id}" has sharding "${node.sharding}" but is in no tensor-parallel group. Drop it into a group or remove its sharding.` });
    }
  }

  const mesh = meshes[0];
  const plan = planFromGraph(graph);
  if (mesh === undefined || plan === null || issues.length > 0) return issues;

  // Without a batch size the batch checks pass trivially: every device gets the same share.
  const batchSize = options.batchSize ?? plan.dataParallel * plan.tensorParallel;
  const model = describeGraphForPlan(analysis, batchSize, plan.dataParallel);
  if (model === null) return issues;
  try {
    resolvePlan(plan, model, plan.dataParallel * plan.tensorParallel);
  } catch (error) {
    if (!(error instanceof ParallelPlanError)) throw error;
    const blockNodes = [...transformerBlockIndex(graph)].map(([nodeId, index]) => ({ nodeId, prefix: `blocks.${index}.` }));
    for (const message of error.issues) {
      const nodeId = nodeOfPlanIssue(message, byId, blockNodes) ?? mesh.id;
      issues.push({ path: paths.get(nodeId), nodeId, message: `${message}` });
      if (/^The batch of/.test(message) || /rows per data replica/.test(message)) {
        issues.push({ path: 'training.batchSize', message: `training.batchSize: ${message}` });
      }
    }
  }
  return issues;
}

/** Returns the node a plan issue names in quotes: a node id, or the block node of a `blocks.0.` layer name. */
function nodeOfPlanIssue(message: string, byId: ReadonlyMap<string, unknown>, blockNodes: Array<{ nodeId: string; prefix: string }>): string | undefined {
  for (const match of message.matchAll(/"([^"]+)"/g)) {
    const name = match[1];
    if (byId.has(name)) return name;
    const block = blockNodes.find((entry) => name.startsWith(entry.prefix));
    if (block !== undefined) return block.nodeId;
  }
  return undefined;
}
