/**
 * An MLP described by a node graph (Input, Dense and activation nodes in a chain,
 * then a Loss) as a parallel workload. The one-device reference is the compiled
 * graph, and each device compiles the same graph from the same seed and keeps its
 * shards. Under sequence parallelism the rows of the batch play the sequence.
 */

import type { ProjectGraph } from '../../shared/project';
import { compileGraph, GraphValidationError } from '../graph/compile';
import type { DatasetShapes } from '../graph/types';
import { analyzeGraph, type GraphAnalysis } from '../graph/validate';
import { softmaxCrossEntropy } from '../ops/crossentropy';
import { mseLoss } from '../ops/mse';
import { relu } from '../ops/relu';
import { sigmoid } from '../ops/sigmoid';
import { softmax } from '../ops/softmax';
import { tanh } from '../ops/tanh';
import { scale } from '../ops/scale';
import { Rng } from '../tensor/random';
import { Tensor } from '../tensor/tensor';
import type { DeviceContext, ParallelWorkload, ReferenceModel, ShardedModel } from './executor';
import type { PlanLayer, PlanModel } from './plan';
import { ShardedDense, type LayoutTensor, type ShardedParameter, type ShardingContext } from './shardedLayers';

export interface MlpBatch {
  /** Row-major features [B, F]. */
  features: Float32Array;
  /** One class index per sample. */
  labels: Int32Array;
}

/** Activation node types that act on each element alone, so they run on any shard. */
const ELEMENTWISE_TYPES = new Set(['ReLU', 'Sigmoid', 'Tanh']);

/** The op of each activation node type the executor runs. Softmax normalises each row over the classes. */
const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  ReLU: relu,
  Sigmoid: sigmoid,
  Tanh: tanh,
  Softmax: (x) => softmax(x, -1),
};

interface ChainLayer {
  id: string;
  type: string;
  inFeatures: number;
  outFeatures: number;
}

/** Returns the workload of `graph` for `dataset`, with parameters initialised from `seed` as `compileGraph` does. */
export function createGraphMlpWorkload(graph: ProjectGraph, dataset: DatasetShapes, seed: number): ParallelWorkload<MlpBatch> {
  const analysis = analyzeGraph(graph, dataset);
  if (analysis.issues.length > 0) throw new GraphValidationError(analysis.issues);
  const chain = readChain(analysis);
  const lossNodeId = analysis.order.find((node) => analysis.specs.get(node.id)!.category === 'loss')!.id;
  const lossKind = analysis.params.get(lossNodeId)!.kind === 'mse' ? 'mse' : 'cross-entropy';
  const featureCount = dataset.featureShape.reduce((product, dim) => product * dim, 1);

  const describe = (batchSize: number, dataParallel: number): PlanModel => {
    const layers: PlanLayer[] = chain.map((layer) => ({
      id: layer.id,
      kind: layer.type === 'Dense' ? 'dense' : ELEMENTWISE_TYPES.has(layer.type) ? 'elementwise' : 'rowwise',
      inFeatures: layer.inFeatures,
      outFeatures: layer.outFeatures,
    }));
    layers.push({ id: lossNodeId, kind: 'rowwise' });
    return { layers, batchSize, sequenceLength: batchSize / dataParallel, sequenceAxisName: 'rows per data replica' };
  };

  return {
    describe,
    batchSizeOf: (batch) => batch.labels.length,

    createReference(): ReferenceModel<MlpBatch> {
      const model = compileGraph(graph, dataset, new Rng(seed));
      return {
        parameters: model.parameters,
        loss: (batch) => model.forward(featuresTensor(batch.features, batch.labels.length, featureCount), batch.labels, 'train').loss,
      };
    },

    createSharded(device: DeviceContext): ShardedModel<MlpBatch> {
      const full = compileGraph(graph, dataset, new Rng(seed)).parameters;
      const context: ShardingContext = { ...device.sharding, sequenceAxis: 0 };
      const parameters: ShardedParameter[] = [];
      const steps: Array<(input: LayoutTensor) => Promise<LayoutTensor>> = [];
      // A Softmax right before a cross-entropy Loss is skipped: the loss starts from its input, the logits.
      const lastIsSoftmax = chain.length > 0 && chain[chain.length - 1].type === 'Softmax' && lossKind === 'cross-entropy';
      const runLayers = lastIsSoftmax ? chain.slice(0, -1) : chain;

      for (const layer of runLayers) {
        if (layer.type === 'Dense') {
          const dense = new ShardedDense(
            layer.id,
            device.plan.resolvedSharding.get(layer.id) ?? 'replicated',
            device.plan.gatheredColumns.has(layer.id),
            { weight: full.get(`${layer.id}.weight`)!, bias: full.get(`${layer.id}.bias`) ?? null },
            context,
            parameters,
            { weight: `${layer.id}.weight`, bias: `${layer.id}.bias` },
          );
          steps.push((input) => dense.forward(input));
        } else {
          const activate = ACTIVATIONS[layer.type];
          steps.push((input) => Promise.resolve({ tensor: activate(input.tensor), layout: input.layout }));
        }
      }

      return {
        parameters,
        async forward(batch) {
          const { rows, start } = deviceRows(batch.labels.length, device);
          const features = featuresTensor(batch.features.subarray(start * featureCount, (start + rows) * featureCount), rows, featureCount);
          const labels = batch.labels.subarray(start, start + rows);
          let activation: LayoutTensor = { tensor: features, layout: device.plan.sequenceParallel ? 'sequence' : 'full' };
          for (const step of steps) activation = await step(activation);

          const prediction = activation.tensor; // [rows, classes]
          const meanLoss = lossKind === 'mse' ? mseLoss(prediction, oneHot(labels, prediction.shape[1])) : softmaxCrossEntropy(prediction, labels);
          return scale(meanLoss, rows / batch.labels.length);
        },
      };
    },
  };
}

/** Returns the first row and the row count of this device's slice of a batch of `batchSize` samples. */
function deviceRows(batchSize: number, device: DeviceContext): { rows: number; start: number } {
  const { dataParallel, tensorParallel, sequenceParallel } = device.plan;
  const replicaRows = batchSize / dataParallel;
  const replicaStart = device.coordinates.dataIndex * replicaRows;
  if (!sequenceParallel) return { rows: replicaRows, start: replicaStart };
  const rows = replicaRows / tensorParallel;
  return { rows, start: replicaStart + device.coordinates.tensorIndex * rows };
}

/**
 * Returns the non-input, non-loss nodes from the Input's features to the Loss's
 * prediction, checking that each takes its input from the one before.
 */
function readChain(analysis: GraphAnalysis): ChainLayer[] {
  const chain: ChainLayer[] = [];
  let previous: { id: string; port: string } | null = null;
  for (const node of analysis.order) {
    const spec = analysis.specs.get(node.id)!;
    if (spec.category === 'data') {
      previous = { id: node.id, port: 'features' };
      continue;
    }
    if (spec.category === 'loss') {
      const source = analysis.incoming.get(node.id)?.get('prediction');
      if (previous === null || source?.source !== previous.id) {
        throw new Error(`Loss node "${node.id}" takes its prediction from "${source?.source ?? 'nothing'}", not from the last layer of the chain. The plan executor runs graphs that form one chain from the Input to the Loss.`);
      }
      continue;
    }
    if (spec.type !== 'Dense' && ACTIVATIONS[spec.type] === undefined) {
      const supported = ['Dense', ...Object.keys(ACTIVATIONS)].join(', ');
      throw new Error(`Node "${node.id}" has type ${spec.type}, which the plan executor cannot run. Use only ${supported} nodes between the Input and the Loss.`);
    }
    const source = analysis.incoming.get(node.id)?.get('input');
    if (previous === null || source === undefined || source.source !== previous.id || source.sourcePort !== previous.port) {
      throw new Error(`Node "${node.id}" takes its input from "${source?.source ?? 'nothing'}" rather than from "${previous?.id ?? 'the Input'}". The plan executor runs graphs that form one chain from the Input to the Loss.`);
    }
    const inShape = analysis.edgeShapes.get(source.id)!;
    const outShape = analysis.nodeShapes.get(node.id)!.output;
    chain.push({
      id: node.id,
      type: spec.type,
      inFeatures: inShape[inShape.length - 1] as number,
      outFeatures: outShape[outShape.length - 1] as number,
    });
    previous = { id: node.id, port: 'output' };
  }
  return chain;
}

function featuresTensor(values: Float32Array, rows: number, featureCount: number): Tensor {
  return new Tensor(values, [rows, featureCount]); // [rows, F]
}

/** Returns [rows, classCount] with 1 at each sample's label. */
function oneHot(labels: Int32Array, classCount: number): Tensor {
  const values = new Float32Array(labels.length * classCount);
  labels.forEach((label, row) => {
    values[row * classCount + label] = 1;
  });
  return new Tensor(values, [labels.length, classCount]); // [rows, C]
}
