/**
 * The equality check between a plan and one device. The same workload, seed and
 * batches run k steps on one device (the plain synchronous engine) and on every
 * rank of the plan over an in-process mesh. Then the losses and the gathered
 * parameters are compared by name.
 */

import type { Optimizer } from '../optim/optimizer';
import type { Tensor } from '../tensor/tensor';
import { PlanExecutor, type GatheredParameter, type ParallelWorkload, type StepResult } from './executor';
import { createMemoryMesh } from './memoryTransport';
import type { ParallelPlan } from './plan';

export interface OneDeviceCheckOptions<Batch> {
  workload: ParallelWorkload<Batch>;
  plan: ParallelPlan;
  /** One batch per step. Every batch has the same number of samples. */
  batches: readonly Batch[];
  createOptimizer(parameters: Map<string, Tensor>): Optimizer;
}

export interface ParameterDifference {
  name: string;
  maxAbsolute: number;
  /** maxAbsolute divided by the largest magnitude of the one-device tensor (at least `RELATIVE_FLOOR`). */
  relative: number;
}

export interface OneDeviceComparison {
  oneDeviceLosses: number[];
  planLosses: number[];
  maxLossAbsolute: number;
  /** Largest |plan − one device| / max(|one device|, RELATIVE_FLOOR) over the steps. */
  maxLossRelative: number;
  parameters: ParameterDifference[];
  maxParameterAbsolute: number;
  maxParameterRelative: number;
  /** Each rank's result of the last step, by rank. */
  lastSteps: StepResult[];
}

/** Smallest denominator of a relative difference, so a tensor of zeros compares by absolute difference. */
export const RELATIVE_FLOOR = 1e-6;

/** Runs `options.batches` on one device and under the plan from the same seed and returns the largest differences. */
export async function checkAgainstOneDevice<Batch>(options: OneDeviceCheckOptions<Batch>): Promise<OneDeviceComparison> {
  const { workload, plan, batches } = options;
  if (batches.length === 0) throw new Error('checkAgainstOneDevice needs at least one batch: pass one batch per step to compare.');

  const reference = workload.createReference();
  const referenceOptimizer = options.createOptimizer(reference.parameters);
  const oneDeviceLosses: number[] = [];
  for (const batch of batches) {
    referenceOptimizer.zeroGrad();
    const loss = reference.loss(batch);
    loss.backward();
    referenceOptimizer.step();
    oneDeviceLosses.push(loss.item());
  }

  const batchSize = workload.batchSizeOf(batches[0]);
  const worldSize = plan.dataParallel * plan.tensorParallel;
  const transports = createMemoryMesh(worldSize);
  const executors = transports.map(
    (transport) => new PlanExecutor({ workload, plan, transport, batchSize, createOptimizer: options.createOptimizer }),
  );
  const planLosses: number[] = [];
  let lastSteps: StepResult[] = [];
  for (const batch of batches) {
    lastSteps = await Promise.all(executors.map((executor) => executor.step(batch)));
    planLosses.push(lastSteps[0].loss);
  }
  const gathered = await Promise.all(executors.map((executor) => executor.gatherParameters()));

  let maxLossAbsolute = 0;
  let maxLossRelative = 0;
  oneDeviceLosses.forEach((expected, index) => {
    const difference = Math.abs(planLosses[index] - expected);
    maxLossAbsolute = Math.max(maxLossAbsolute, difference);
    maxLossRelative = Math.max(maxLossRelative, difference / Math.max(Math.abs(expected), RELATIVE_FLOOR));
  });

  const parameters = compareParameters(reference.parameters, gathered[0]);
  return {
    oneDeviceLosses,
    planLosses,
    maxLossAbsolute,
    maxLossRelative,
    parameters,
    maxParameterAbsolute: Math.max(0, ...parameters.map((parameter) => parameter.maxAbsolute)),
    maxParameterRelative: Math.max(0, ...parameters.map((parameter) => parameter.relative)),
    lastSteps,
  };
}

/** Compares every one-device parameter with the gathered one of the same name and shape. */
export function compareParameters(expected: ReadonlyMap<string, Tensor>, actual: ReadonlyMap<string, GatheredParameter>): ParameterDifference[] {
  const differences: ParameterDifference[] = [];
  for (const [name, tensor] of expected) {
    const gathered = actual.get(name);
    if (gathered === undefined) {
      throw new Error(`The plan has no parameter "${name}", which the one-device model has. Every one-device parameter needs a shard record.`);
    }
    if (gathered.shape.join(',') !== tensor.shape.join(',')) {
      throw new Error(`Parameter "${name}" is [${gathered.shape.join(', ')}] under the plan but [${tensor.shape.join(', ')}] on one device.`);
    }
    let maxAbsolute = 0;
    let largest = 0;
    for (let i = 0; i < tensor.data.length; i++) {
      maxAbsolute = Math.max(maxAbsolute, Math.abs(gathered.data[i] - tensor.data[i]));
      largest = Math.max(largest, Math.abs(tensor.data[i]));
    }
    differences.push({ name, maxAbsolute, relative: maxAbsolute / Math.max(largest, RELATIVE_FLOOR) });
  }
  if (actual.size !== expected.size) {
    const extra = [...actual.keys()].filter((name) => !expected.has(name));
    throw new Error(`The plan has parameters the one-device model lacks: ${extra.join(', ')}.`);
  }
  return differences;
}
