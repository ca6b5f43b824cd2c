/**
 * Which plan a run of a project uses: the DeviceMesh node's, or data parallelism
 * over a device count given on the command line, or none (one device).
 */

import type { LinkSettings, ParallelPlanSummary } from '../../shared/api';
import type { ParallelDeviceSettings } from '../../shared/device';
import type { ProjectFile, ProjectIssue } from '../../shared/project';
import { datasetShapes, isTextDataset } from '../../engine/data/catalog';
import { analyzeGraph } from '../../engine/graph/validate';
import { dataParallelPlan, describeGraphForPlan, meshNodesOf, planFromGraph } from '../../engine/parallel/graphPlan';
import { inferSharding, type ParallelPlan } from '../../engine/parallel/plan';

/** Default wait for a peer's tensor before a device fails, in milliseconds. */
export const DEFAULT_RECEIVE_TIMEOUT_MS = 30_000;

export interface ParallelRun {
  plan: ParallelPlan;
  worldSize: number;
  summary: ParallelPlanSummary;
}

/** A device count that does not fit the project; `issues` locate the problem on the mesh node or the batch size. */
export class DeviceCountError extends Error {
  readonly issues: ProjectIssue[];

  constructor(issues: ProjectIssue[]) {
    super(issues.map((issue) => issue.message).join(' '));
    this.name = 'DeviceCountError';
    this.issues = issues;
  }
}

/**
 * Returns the parallel run of `project`, or null for one device. With a DeviceMesh node,
 * `deviceCount` (when given) must equal its data × tensor size. Without one, a
 * `deviceCount` above 1 means data parallelism over that many devices.
 */
export function parallelRunOf(project: ProjectFile, deviceCount?: number): ParallelRun | null {
  if (deviceCount !== undefined && (!Number.isInteger(deviceCount) || deviceCount < 1)) {
    throw new DeviceCountError([{ message: `Invalid device count ${deviceCount}: use a positive whole number of devices.` }]);
  }
  const meshPlan = planFromGraph(project.graph);
  let plan: ParallelPlan;
  if (meshPlan !== null) {
    const worldSize = meshPlan.dataParallel * meshPlan.tensorParallel;
    if (deviceCount !== undefined && deviceCount !== worldSize) {
      const mesh = meshNodesOf(project.graph)[0];
      const index = project.graph.nodes.indexOf(mesh);
      throw new DeviceCountError([
        {
          path: `graph.nodes[${index}]`,
          nodeId: mesh.id,
          message: `The run asks for ${deviceCount} devices, but DeviceMesh node "${mesh.id}" needs data ${meshPlan.dataParallel} × tensor ${meshPlan.tensorParallel} = ${worldSize}. Pass --devices ${worldSize}, or change the mesh's sizes.`,
        },
      ]);
    }
    plan = meshPlan;
  } else if (deviceCount !== undefined && deviceCount > 1) {
    plan = dataParallelPlan(deviceCount);
    const { batchSize } = project.training;
    if (batchSize % deviceCount !== 0) {
      throw new DeviceCountError([
        {
          path: 'training.batchSize',
          message: `training.batchSize: the batch of ${batchSize} samples does not split over ${deviceCount} data-parallel devices. Use a batch size that is a multiple of ${deviceCount}, or another device count.`,
        },
      ]);
    }
  } else {
    return null;
  }

  const worldSize = plan.dataParallel * plan.tensorParallel;
  if (worldSize === 1) return null;
  return { plan, worldSize, summary: summarizePlan(project, plan) };
}

/** Returns the plan with every tensor-group layer's sharding resolved, for reports. */
function summarizePlan(project: ProjectFile, plan: ParallelPlan): ParallelPlanSummary {
  let sharding: Record<string, 'column' | 'row' | 'heads' | 'replicated'> = { ...(plan.sharding ?? {}) };
  // A text dataset's vocabulary is unknown until the device loads the text, which the layer list does not need.
  const shapes = datasetShapes(project.dataset.id, isTextDataset(project.dataset.id) ? 1 : undefined);
  const model = describeGraphForPlan(analyzeGraph(project.graph, shapes), project.training.batchSize, plan.dataParallel);
  if (model !== null) sharding = Object.fromEntries(inferSharding(model.layers, plan.tensorGroup, plan.sharding));
  return { dataParallel: plan.dataParallel, tensorParallel: plan.tensorParallel, sequenceParallel: plan.sequenceParallel, tensorGroup: [...plan.tensorGroup], sharding };
}

/** Returns the settings every device of `run` shares, without the mesh links, which the launcher sets. */
export function parallelDeviceSettings(run: ParallelRun, receiveTimeoutMs: number, link: LinkSettings, checkSteps?: number): Omit<ParallelDeviceSettings, 'mesh'> {
  const { plan } = run;
  return {
    worldSize: run.worldSize,
    dataParallel: plan.dataParallel,
    tensorParallel: plan.tensorParallel,
    sequenceParallel: plan.sequenceParallel,
    tensorGroup: [...plan.tensorGroup],
    sharding: { ...(plan.sharding ?? {}) },
    receiveTimeoutMs,
    link,
    ...(checkSteps === undefined ? {} : { checkSteps }),
  };
}
