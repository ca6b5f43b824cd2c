/**
 * Activation snapshots: what one node computes for one test sample, plus the
 * weight and last-gradient histograms of nodes that have a weight matrix.
 */

import type { ActivationProbe, ActivationSnapshot } from '../../shared/api';
import type { ProjectGraph } from '../../shared/project';
import type { CompiledModel } from '../../engine/graph/compile';
import type { Dataset } from '../../engine/data/dataset';
import { featureSize } from '../../engine/data/dataset';
import { softmax } from '../../engine/ops/softmax';
import { noGrad, Tensor } from '../../engine/tensor/tensor';
import { histogram } from './histogram';

/** Builds the snapshot for `probe`, or returns null when no node is probed or the node is not in the model. */
export function takeSnapshot(
  model: CompiledModel,
  graph: ProjectGraph,
  dataset: Dataset,
  probe: ActivationProbe,
): ActivationSnapshot | null {
  if (probe.nodeId === null) return null;
  const node = graph.nodes.find((candidate) => candidate.id === probe.nodeId);
  if (node === undefined || dataset.test.count === 0) return null;

  // An index past the end of the test split (after a limit change) shows the last sample.
  const sampleIndex = Math.min(Math.max(0, Math.trunc(probe.sampleIndex)), dataset.test.count - 1);
  const sampleSize = featureSize(dataset.featureShape);
  const features = new Tensor(
    dataset.test.features.slice(sampleIndex * sampleSize, (sampleIndex + 1) * sampleSize),
    [1, ...dataset.featureShape],
  ); // [1, ...featureShape]
  const label = dataset.test.labels[sampleIndex];
  const result = noGrad(() => model.forward(features, Int32Array.of(label), 'eval'));

  let output: Tensor | undefined;
  if (node.id === model.lossNodeId) {
    output = lossProbabilities(model, graph, result.prediction);
  } else {
    output = result.outputs.get(node.id);
  }
  if (output === undefined) return null;

  const snapshot: ActivationSnapshot = {
    nodeId: node.id,
    nodeType: node.type,
    sampleIndex,
    label,
    values: Array.from(output.data),
    shape: output.shape.slice(1),
  };
  if (node.id === model.inputNodeId && dataset.image !== undefined) snapshot.image = { ...dataset.image };

  const weight = model.parameters.get(`${node.id}.weight`);
  if (weight !== undefined) {
    snapshot.weightHistogram = histogram(weight.data);
    if (weight.grad !== null) snapshot.gradientHistogram = histogram(weight.grad);
  }
  return snapshot;
}

/**
 * For the Loss node, the class probabilities behind the loss: the Softmax output when
 * a Softmax feeds the loss, otherwise the softmax of the logits. A mean-squared-error
 * loss compares raw outputs, so those are shown as they are.
 */
function lossProbabilities(model: CompiledModel, graph: ProjectGraph, prediction: Tensor): Tensor {
  const lossNode = graph.nodes.find((candidate) => candidate.id === model.lossNodeId);
  const predictionNode = graph.nodes.find((candidate) => candidate.id === model.predictionNodeId);
  if (lossNode?.params.kind === 'mse' || predictionNode?.type === 'Softmax') return prediction;
  return noGrad(() => softmax(prediction, -1)); // [1, C]
}
