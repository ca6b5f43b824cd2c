/** Graph validation as the canvas shows it: the engine's issues and edge shapes, plus issues grouped by node. */

import type { ProjectFile, ProjectIssue } from '../../../shared/project';
import type { SymbolicShape } from '../../../engine/graph/types';
import { analyzeGraph } from '../../../engine/graph/validate';
import { checkParallelPlan } from '../../../engine/graph/parallelIssues';
import { datasetShapes } from '../../../engine/data/catalog';

export interface GraphValidation {
  issues: ProjectIssue[];
  edgeShapes: ReadonlyMap<string, SymbolicShape>;
  /** Output shapes of each node that shape inference reached, by node id and port name. */
  nodeShapes: ReadonlyMap<string, Record<string, SymbolicShape>>;
  /** Messages of the issues that name a node, by node id. */
  issuesByNode: ReadonlyMap<string, string[]>;
  /** Messages of the parallel plan's issues (mesh, groups, sharding, batch split) that name a node, by node id. */
  planIssuesByNode: ReadonlyMap<string, string[]>;
}

function groupByNode(issues: readonly ProjectIssue[]): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const issue of issues) {
    if (issue.nodeId === undefined) continue;
    const messages = byNode.get(issue.nodeId) ?? [];
    messages.push(issue.message);
    byNode.set(issue.nodeId, messages);
  }
  return byNode;
}

/**
 * Validates the graph as `validateGraph` does, with the plan checked against the
 * training batch size, and keeps the plan's issues apart for the sharding field.
 */
export function validateProjectGraph(project: ProjectFile): GraphValidation {
  let result: { issues: ProjectIssue[]; planIssues: ProjectIssue[]; edgeShapes: Map<string, SymbolicShape>; nodeShapes: Map<string, Record<string, SymbolicShape>> };
  try {
    const analysis = analyzeGraph(project.graph, datasetShapes(project.dataset.id));
    const planIssues = checkParallelPlan(project.graph, analysis, { batchSize: project.training.batchSize });
    result = { issues: [...analysis.issues, ...planIssues], planIssues, edgeShapes: analysis.edgeShapes, nodeShapes: analysis.nodeShapes };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = { issues: [{ message: `Validation failed: ${message}` }], planIssues: [], edgeShapes: new Map(), nodeShapes: new Map() };
  }

  return {
    issues: result.issues,
    edgeShapes: result.edgeShapes,
    nodeShapes: result.nodeShapes,
    issuesByNode: groupByNode(result.issues),
    planIssuesByNode: groupByNode(result.planIssues),
  };
}
