import type { ProjectFile, ProjectIssue } from '../../shared/project';
import { datasetShapes } from '../../engine/data/catalog';
import { validateGraph } from '../../engine/graph/validate';
import { parseProject } from '../../engine/io/project';

/**
 * Returns what keeps `project` from training: field-level issues from the project
 * schema, then graph issues (unconnected ports, shape mismatches) by node and port.
 * A project arriving from the renderer or a socket gets the same checks as a file.
 */
export function validateRunProject(project: ProjectFile): ProjectIssue[] {
  let text: string;
  try {
    text = JSON.stringify(project);
  } catch (error) {
    return [{ message: `The project cannot be written as JSON (${error instanceof Error ? error.message : String(error)}).` }];
  }

  const parsed = parseProject(text, 'the project to run');
  if (!parsed.ok) return parsed.issues;
  const { graph, dataset } = parsed.project;
  return validateGraph(graph, datasetShapes(dataset.id)).issues;
}
