/** Graph validation as the canvas shows it: the engine's issues and edge shapes, plus issues grouped by node. */

import type { ProjectFile, ProjectIssue } from '../../../shared/project';
import type { SymbolicShape } from '../../../engine/graph/types';
import { validateGraph } from '../../../engine/graph/validate';
import { datasetShapes } from '../../../engine/data/catalog';

export interface GraphValidation {
  issues: ProjectIssue[];
  edgeShapes: ReadonlyMap<string, SymbolicShape>;
  /** Output shapes of each node that shape inference reached, by node id and port name. */
  nodeShapes: ReadonlyMap<string, Record<string, SymbolicShape>>;
  /** Messages of the issues that name a node, by node id. */
  issuesByNode: ReadonlyMap<string, string[]>;
}

export function validateProjectGraph(project: ProjectFile): GraphValidation {
  let result: { issues: ProjectIssue[]; edgeShapes: Map<string, SymbolicShape>; nodeShapes: Map<string, Record<string, SymbolicShape>> };
  try {
    result = validateGraph(project.graph, datasetShapes(project.dataset.id));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = { issues: [{ message: `Validation failed: ${message}` }], edgeShapes: new Map(), nodeShapes: new Map() };
  }

  const issuesByNode = new Map<string, string[]>();
  for (const issue of result.issues) {
    if (issue.nodeId === undefined) continue;
    const messages = issuesByNode.get(issue.nodeId) ?? [];
    messages.push(issue.message);
    issuesByNode.set(issue.nodeId, messages);
  }
  return { issues: result.issues, edgeShapes: result.edgeShapes, nodeShapes: result.nodeShapes, issuesByNode };
}
