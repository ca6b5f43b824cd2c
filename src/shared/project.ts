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
  /** Id of the TensorParallelGroup node this node sits in on the canvas (xyflow's parent node); absent means none. */
  parentId?: string;
  /** The user's choice of how a layer in a tensor-parallel group is split; absent takes the inferred default. */
  sharding?: NodeSharding;
}

/**
 * How a layer in a tensor-parallel group is split over the group's devices: by the
 * output features of its weight (`column`), by the input features (`row`), by
 * attention heads (`heads`), or not at all (`replicated`).
 */
export type NodeSharding = 'column' | 'row' | 'heads' | 'replicated';

export const NODE_SHARDINGS: readonly NodeSharding[] = ['column', 'row', 'heads', 'replicated'];

/** Node type that sets the device mesh of a graph (at most one per graph). */
export const DEVICE_MESH_NODE_TYPE = 'DeviceMesh';

/** Node type of a tensor-parallel group: a container whose child nodes (by `parentId`) are sharded. */
export const TENSOR_PARALLEL_GROUP_NODE_TYPE = 'TensorParallelGroup';

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

export type DatasetId = 'mnist' | 'xor' | 'circles' | 'spirals' | 'brown' | 'text-file';

/** The text datasets, which train next-token language models from a Token input node. */
export const TEXT_DATASET_IDS: readonly DatasetId[] = ['brown', 'text-file'];

/** Tokenizer of a text dataset: one token id per character (`char`) or per UTF-8 byte (`byte`). */
export type TokenizerKind = 'char' | 'byte';

export interface DatasetRef {
  id: DatasetId;
  /** Use only the first N shuffled training samples; 0 or absent means all. Classification datasets only. */
  trainLimit?: number;
  /** Use only the first N shuffled test samples; 0 or absent means all. Classification datasets only. */
  testLimit?: number;
  /**
   * Path of the UTF-8 text file, for `text-file`. The command line resolves a relative path against the
   * project file's folder; the app, which may have no project file, against its working directory.
   */
  path?: string;
  /** Tokenizer of a text dataset. Default `char`. */
  tokenizer?: TokenizerKind;
  /** Share of a text held out for validation, in (0, 0.5]. Default 0.1. */
  validationFraction?: number;
}

export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

/** Learning-rate schedule: a constant rate, or a linear warmup followed by a cosine decay to a tenth of the rate. */
export type ScheduleKind = 'constant' | 'warmup-cosine';

export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerKind;
  /** SGD momentum, 0 for plain SGD. Ignored by Adam. */
  momentum: number;
  seed: number;
  /** Decoupled weight decay of AdamW per step, as a fraction of the learning rate. Default 0.01; ignored by other optimizers. */
  weightDecay?: number;
  /** Rescales the gradients so their joint L2 norm is at most this. Absent means no clipping. */
  gradientClipNorm?: number;
  /** Default `constant`. */
  schedule?: ScheduleKind;
  /** Steps of linear warmup of the `warmup-cosine` schedule. Default 0. */
  warmupSteps?: number;
  /** Optimizer steps per epoch on a text dataset, where an epoch is this many batches of random windows. Default 200. */
  stepsPerEpoch?: number;
  /** Writes a checkpoint every N epochs as well as at the end of the run. Absent means only at the end. */
  checkpointEveryEpochs?: number;
}

/** Optimizer steps per epoch on a text dataset when `training.stepsPerEpoch` is absent. */
export const DEFAULT_TEXT_STEPS_PER_EPOCH = 200;

/** Share of a text held out for validation when `dataset.validationFraction` is absent. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

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
