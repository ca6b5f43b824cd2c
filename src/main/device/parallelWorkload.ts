/**
 * The data and the model of one parallel device: the project's graph as a plan
 * workload, its training batches in the one-device order, and a one-device model
 * that takes the gathered parameters for evaluation and checkpoints.
 */

import type { ProjectFile } from '../../shared/project';
import { makeBatches } from '../../engine/data/batches';
import { isTextDataset } from '../../engine/data/catalog';
import type { Dataset } from '../../engine/data/dataset';
import { compileGraph, type CompiledModel } from '../../engine/graph/compile';
import type { DatasetShapes } from '../../engine/graph/types';
import type { GatheredParameter, ParallelWorkload } from '../../engine/parallel/executor';
import { readTransformerGraph } from '../../engine/parallel/graphPlan';
import { createGraphMlpWorkload, type MlpBatch } from '../../engine/parallel/mlpWorkload';
import { createTransformerWorkload, type TokenBatch } from '../../engine/parallel/transformerWorkload';
import { Rng } from '../../engine/tensor/random';
import { loadDataset } from '../data/loadDataset';
import { DeviceRunError } from './session';
import { TextTask } from './textTask';

export type DeviceBatch = MlpBatch | TokenBatch;

export interface ParallelTask {
  workload: ParallelWorkload<DeviceBatch>;
  /** Full batches per epoch; a last partial batch is dropped, because every step must split evenly. */
  stepsPerEpoch: number;
  trainCount: number;
  testCount: number;
  /** Draws the next training batch; the same sequence on every device. */
  nextBatch(epochStart: boolean): DeviceBatch;
  /** Builds the one-device model with the gathered parameters, for evaluation and checkpoints. */
  oneDeviceModel(gathered: ReadonlyMap<string, GatheredParameter>): CompiledModel;
  dataset: Dataset | null;
  text: TextTask | null;
}

/**
 * Builds the task of `project` on a device. The model is initialised and the batches
 * are shuffled from the same generators as a one-device run of the project, so an MLP
 * plan trains the same numbers as one device.
 */
export function createParallelTask(project: ProjectFile, projectFolder: string | undefined): ParallelTask {
  const { training } = project;
  const seeds = new Rng(training.seed);
  const initSeed = seeds.nextUint32();
  const shuffleRng = new Rng(seeds.nextUint32());

  if (isTextDataset(project.dataset.id)) {
    const text = new TextTask(project, projectFolder);
    const transformer = readTransformerGraph(project.graph);
    if (!transformer.ok) throw new DeviceRunError(transformer.reason);
    const shapes = text.shapes();
    const contextLength = transformer.value.config.contextLength;
    // The language model starts from the compiled graph's weights, so a parallel run starts where a one-device run does.
    const initial = compileGraph(project.graph, shapes, new Rng(initSeed)).parameters;
    const initialValueOf = (name: string): Float32Array | undefined => initial.get(transformer.value.toGraphName(name))?.data;
    const workload = createTransformerWorkload({ ...transformer.value.config, vocabularySize: text.tokenizer.vocabularySize }, initSeed, contextLength, initialValueOf);
    return {
      workload: workload as ParallelWorkload<DeviceBatch>,
      stepsPerEpoch: training.stepsPerEpoch ?? 200,
      trainCount: text.dataset.train.windowStarts.length,
      testCount: text.dataset.validation.windowStarts.length,
      nextBatch() {
        const { tokens, targets } = text.trainingBatch(training.batchSize, shuffleRng);
        const inputs = Int32Array.from(tokens.data);
        return { inputs, targets, batchSize: training.batchSize, sequenceLength: tokens.shape[1] };
      },
      oneDeviceModel: (gathered) => loadedModel(project, shapes, initSeed, gathered, transformer.value.toGraphName),
      dataset: null,
      text,
    };
  }

  const dataset = loadDataset(project.dataset, training.seed);
  const stepsPerEpoch = Math.floor(dataset.train.count / training.batchSize);
  if (stepsPerEpoch === 0) {
    throw new DeviceRunError(
      `Dataset ${project.dataset.id} has ${dataset.train.count} training samples, fewer than one batch of ${training.batchSize}. Lower training.batchSize or raise dataset.trainLimit.`,
    );
  }
  const shapes: DatasetShapes = { featureShape: dataset.featureShape, classCount: dataset.classCount };
  let batches: Iterator<{ features: { data: Float32Array }; labels: Int32Array }> | null = null;
  return {
    workload: createGraphMlpWorkload(project.graph, shapes, initSeed) as ParallelWorkload<DeviceBatch>,
    stepsPerEpoch,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    nextBatch(epochStart) {
      if (epochStart || batches === null) batches = makeBatches(dataset.train, training.batchSize, shuffleRng, dataset.featureShape);
      const next = batches.next();
      if (next.done === true) throw new Error('The epoch ran out of batches: the step count per epoch does not match the dataset.');
      return { features: next.value.features.data, labels: next.value.labels };
    },
    oneDeviceModel: (gathered) => loadedModel(project, shapes, initSeed, gathered, (name) => name),
    dataset,
    text: null,
  };
}

function loadedModel(
  project: ProjectFile,
  shapes: DatasetShapes,
  initSeed: number,
  gathered: ReadonlyMap<string, GatheredParameter>,
  toGraphName: (name: string) => string,
): CompiledModel {
  const model = compileGraph(project.graph, shapes, new Rng(initSeed));
  for (const [name, parameter] of gathered) {
    const target = model.parameters.get(toGraphName(name));
    if (target === undefined || target.data.length !== parameter.data.length) {
      throw new Error(`The gathered parameter "${name}" has no match of ${parameter.data.length} values in the graph's model (looked for "${toGraphName(name)}").`);
    }
    target.data.set(parameter.data);
  }
  return model;
}
