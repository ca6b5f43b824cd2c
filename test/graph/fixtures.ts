import type { GraphEdge, GraphNode, ParamValue, ProjectGraph } from '../../src/shared/project';
import type { DatasetShapes } from '../../src/engine/graph/types';

export const MNIST_SHAPES: DatasetShapes = { featureShape: [784], classCount: 10 };
export const POINT_SHAPES: DatasetShapes = { featureShape: [2], classCount: 2 };

export function node(id: string, type: string, params: Record<string, ParamValue> = {}): GraphNode {
  return { id, type, position: { x: 0, y: 0 }, params };
}

export function edge(source: string, sourcePort: string, target: string, targetPort: string, id?: string): GraphEdge {
  return { id: id ?? `${source}.${sourcePort}->${target}.${targetPort}`, source, sourcePort, target, targetPort };
}

/** input → fc1 (hidden units) → relu1 → fc2 (classes) → loss, with the labels wired to the loss target. */
export function mlpGraph(hidden = 16, classes = 10): ProjectGraph {
  return {
    nodes: [
      node('input', 'Input'),
      node('fc1', 'Dense', { units: hidden }),
      node('relu1', 'ReLU'),
      node('fc2', 'Dense', { units: classes }),
      node('loss', 'Loss', { kind: 'cross-entropy' }),
    ],
    edges: [
      edge('input', 'features', 'fc1', 'input'),
      edge('fc1', 'output', 'relu1', 'input'),
      edge('relu1', 'output', 'fc2', 'input'),
      edge('fc2', 'output', 'loss', 'prediction'),
      edge('input', 'labels', 'loss', 'target'),
    ],
  };
}
