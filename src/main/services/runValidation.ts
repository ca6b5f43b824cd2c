import { DEFAULT_TEXT_STEPS_PER_EPOCH, type ProjectFile, type ProjectIssue } from '../../shared/project';
import { datasetShapes, isTextDataset } from '../../engine/data/catalog';
import { validateGraph } from '../../engine/graph/validate';
import { parseProject } from '../../engine/io/project';

/**
 * Returns what keeps `project` from training: field-level issues from the project
 * schema, then graph issues (unconnected ports, shape mismatches) by node and port,
 * then a warmup longer than a text run. Problems with the text itself (a missing,
 * empty or binary file, a text shorter than the context) need the file, so the
 * device reports them with the path and the field when it loads the text.
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
  const { graph, dataset, training } = parsed.project;
  const issues = validateGraph(graph, datasetShapes(dataset.id), undefined, { batchSize: training.batchSize }).issues;
  if (isTextDataset(dataset.id) && training.schedule === 'warmup-cosine') {
    const totalSteps = training.epochs * (training.stepsPerEpoch ?? DEFAULT_TEXT_STEPS_PER_EPOCH);
    const warmupSteps = training.warmupSteps ?? 0;
    if (warmupSteps >= totalSteps) {
      issues.push({
        path: 'training.warmupSteps',
        message: `training.warmupSteps: ${warmupSteps} warmup steps leave no steps to decay in a run of ${totalSteps} steps (epochs × stepsPerEpoch). Lower warmupSteps below ${totalSteps} or train longer.`,
      });
    }
  }
  return issues;
}
