/**
 * The project file: a versioned JSON document holding the graph, the dataset
 * reference and the training settings. Loading validates it field by field
 * (src/engine/io/project.ts) and migrates older versions forward.
 */

export const PROJECT_FORMAT = 'tensorloom-project';
export const PROJECT_VERSION = 1;

/** Point on the canvas, in flow coordinates (not screen pixels). */
export interface FlowPoint {
  x: number;
  y: number;
}

export type ParamValue = number | string | boolean;

export interface GraphNode {
  /** Unique, stable id; also the prefix of the node's parameter names (`fc1.weight`). */
  id: string;
  /** Registry type, such as `Dense` or `ReLU`. */
  type: string;
  position: FlowPoint;
  /** Parameter values by name; a missing entry takes the registry default. */
  params: Record<string, ParamValue>;
}

export interface GraphEdge {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export interface ProjectGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export type DatasetId = 'mnist' | 'xor' | 'circles' | 'spirals';

export interface DatasetRef {
  id: DatasetId;
  /** Use only the first N shuffled training samples; 0 or absent means all. */
  trainLimit?: number;
  /** Use only the first N shuffled test samples; 0 or absent means all. */
  testLimit?: number;
}

export type OptimizerKind = 'sgd' | 'adam';

export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerKind;
  /** SGD momentum, 0 for plain SGD. Ignored by Adam. */
  momentum: number;
  seed: number;
}

export interface ProjectFile {
  format: typeof PROJECT_FORMAT;
  version: number;
  name: string;
  graph: ProjectGraph;
  dataset: DatasetRef;
  training: TrainingSettings;
}

export const DEFAULT_TRAINING: TrainingSettings = {
  epochs: 5,
  batchSize: 64,
  learningRate: 0.001,
  optimizer: 'adam',
  momentum: 0.9,
  seed: 42,
};

/** One problem found in a project file or graph, located as precisely as possible. */
export interface ProjectIssue {
  /** JSON path of the offending field, such as `training.batchSize` or `graph.nodes[3].params.units`. */
  path?: string;
  nodeId?: string;
  port?: string;
  message: string;
}
