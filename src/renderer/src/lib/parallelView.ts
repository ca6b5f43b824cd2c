/** The parallel plan of the open project as the canvas and the inspector draw it. */

import type { ProjectFile } from '../../../shared/project';
import type { NodeShardingView } from '../../../engine/parallel/graphPlan';
import { parallelViewOf, type GraphParallelView } from '../../../engine/graph/parallelView';
import { datasetShapes } from '../../../engine/data/catalog';

export interface CanvasParallelView extends GraphParallelView {
  /** Each computing node's sharding view, by node id. */
  byNode: ReadonlyMap<string, NodeShardingView>;
}

const SINGLE_DEVICE: CanvasParallelView = {
  deviceCount: 1,
  dataParallel: 1,
  tensorParallel: 1,
  sequenceParallel: false,
  nodes: [],
  byNode: new Map(),
};

/**
 * Returns the plan view of `project`. A graph whose plan cannot be described (one that
 * shape inference rejects) gets the one-device view, because validation lists its issues.
 */
export function canvasParallelView(project: ProjectFile): CanvasParallelView {
  let view: GraphParallelView;
  try {
    view = parallelViewOf(project.graph, datasetShapes(project.dataset.id));
  } catch {
    return SINGLE_DEVICE;
  }
  return { ...view, byNode: new Map(view.nodes.map((node) => [node.nodeId, node])) };
}
