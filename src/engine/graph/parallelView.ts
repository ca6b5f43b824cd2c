/**
 * The parallel plan as the canvas draws it: the mesh's device count and each
 * layer's resolved sharding with the devices that hold a part of it.
 */

import type { ProjectGraph } from '../../shared/project';
import { describeGraphForPlan, describeGraphSharding, planFromGraph, type NodeShardingView } from '../parallel/graphPlan';
import { inferSharding } from '../parallel/plan';
import type { DatasetShapes } from './types';
import { analyzeGraph } from './validate';

export interface GraphParallelView {
  /** Data × tensor devices of the DeviceMesh node, or 1 without one. */
  deviceCount: number;
  dataParallel: number;
  tensorParallel: number;
  sequenceParallel: boolean;
  /** Every computing node, with its sharding resolved (the inferred default where the user set none). */
  nodes: NodeShardingView[];
}

/**
 * Returns the view of the graph's plan. It does not validate the plan: an invalid
 * plan still gets a view, and `validateGraph` lists its issues on the nodes.
 */
export function parallelViewOf(graph: ProjectGraph, dataset: DatasetShapes): GraphParallelView {
  const plan = planFromGraph(graph);
  if (plan === null) {
    return { deviceCount: 1, dataParallel: 1, tensorParallel: 1, sequenceParallel: false, nodes: describeGraphSharding(graph, new Map()) };
  }
  const model = describeGraphForPlan(analyzeGraph(graph, dataset), plan.dataParallel * plan.tensorParallel, plan.dataParallel);
  const resolved = model === null ? new Map() : inferSharding(model.layers, plan.tensorGroup, plan.sharding);
  return {
    deviceCount: plan.dataParallel * plan.tensorParallel,
    dataParallel: plan.dataParallel,
    tensorParallel: plan.tensorParallel,
    sequenceParallel: plan.sequenceParallel,
    nodes: describeGraphSharding(graph, resolved),
  };
}
