/**
 * Project files: parsing with errors that name the JSON path, forward migration,
 * stable serialisation, and a new empty project.
 */

import type { ParseProjectResult } from '../../shared/api';
import {
  DEFAULT_TRAINING,
  NODE_SHARDINGS,
  PROJECT_FORMAT,
  PROJECT_VERSION,
  type DatasetRef,
  type GraphEdge,
  type GraphNode,
  type NodeSharding,
  type ParamValue,
  type ProjectFile,
  type ProjectGraph,
  type ProjectIssue,
  type TrainingSettings,
} from '../../shared/project';
import { DATASET_IDS, datasetShapes } from '../data/catalog';
import { validateGraph } from '../graph/validate';
import { describeJsonValue, FieldReader, isJsonObject, type JsonObject } from './fieldReader';
import { findJsonSyntaxError } from './jsonSyntax';
import { migrateProject } from './migrations';

export { migrateProject } from './migrations';

/** Largest value of the 32-bit seed that the random number generator uses. */
const MAX_SEED = 0xffffffff;

/**
 * Parses a project file's text. `location` (a path or file name) appears in
 * file-level messages. Problems with the file or its fields make the result
 * `ok: false` with every issue found. Graph problems (an unconnected port, a shape
 * mismatch) come back as warnings with the project, because users save and reopen
 * unfinished graphs. A run must still pass `validateGraph`.
 */
export function parseProject(text: string, location: string): ParseProjectResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') {
    return failure({ message: `${location} is empty. It contains no project. Open a project saved by Tensorloom.` });
  }

  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    return failure(describeSyntaxError(body, location, error));
  }

  if (!isJsonObject(raw)) {
    return failure({ message: `${location} is not a Tensorloom project: it contains ${describeJsonValue(raw)} instead of an object.` });
  }
  const headerIssue = checkHeader(raw, location);
  if (headerIssue !== null) return failure(headerIssue);

  const reader = new FieldReader();
  const project = readProject(migrateProject(raw), reader);
  if (project === undefined || reader.issues.length > 0) return { ok: false, issues: reader.issues };

  const graphIssues = validateGraph(project.graph, datasetShapes(project.dataset.id), undefined, { batchSize: project.training.batchSize }).issues;
  return { ok: true, project, warnings: [...reader.warnings, ...graphIssues] };
}

function failure(issue: ProjectIssue): ParseProjectResult {
  return { ok: false, issues: [issue] };
}

function describeSyntaxError(text: string, location: string, error: unknown): ProjectIssue {
  const found = findJsonSyntaxError(text);
  if (found === null) {
    // The scanner accepts everything JSON.parse accepts, so this only happens if the two disagree.
    const detail = error instanceof Error ? error.message : String(error);
    return { message: `${location} is not valid JSON (${detail}). Fix the file in a text editor or restore a saved copy.` };
  }
  const where = `line ${found.line}, column ${found.column}`;
  if (found.truncated) {
    return {
      message: `${location} is incomplete: ${found.reason} (${where}). The file looks truncated, for example by an interrupted copy. Restore a saved copy.`,
    };
  }
  return { message: `${location} is not valid JSON at ${where}: ${found.reason}. Fix the file in a text editor or restore a saved copy.` };
}

/** Checks `format` and `version` before anything else, since they decide how to read the rest. */
function checkHeader(raw: JsonObject, location: string): ProjectIssue | null {
  if (raw.format !== PROJECT_FORMAT) {
    const got = raw.format === undefined ? 'it has no "format" field' : `its format is ${describeJsonValue(raw.format)}`;
    return { path: 'format', message: `${location} is not a Tensorloom project: ${got}, expected "${PROJECT_FORMAT}".` };
  }
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { path: 'version', message: `version: must be a positive integer, got ${describeJsonValue(version)}.` };
  }
  if (version > PROJECT_VERSION) {
    return {
      path: 'version',
      message: `${location} was saved by a newer Tensorloom (project version ${version}, but this one reads up to version ${PROJECT_VERSION}). Update Tensorloom to open it.`,
    };
  }
  return null;
}

const TOP_LEVEL_FIELDS = ['format', 'version', 'name', 'graph', 'dataset', 'training'];

function readProject(raw: JsonObject, reader: FieldReader): ProjectFile | undefined {
  reader.warnUnknownFields(raw, '', TOP_LEVEL_FIELDS);
  let name: string | undefined;
  if (typeof raw.name === 'string') name = raw.name;
  else reader.report('name', raw.name === undefined ? 'missing. It must be a text.' : `must be a text, got ${describeJsonValue(raw.name)}.`);
  const graph = readGraph(raw.graph, reader);
  const dataset = readDataset(raw.dataset, reader);
  const training = readTraining(raw.training, reader);
  if (name === undefined || graph === undefined || dataset === undefined || training === undefined) return undefined;
  return { format: PROJECT_FORMAT, version: PROJECT_VERSION, name, graph, dataset, training };
}

function readDataset(value: unknown, reader: FieldReader): DatasetRef | undefined {
  const object = reader.object(value, 'dataset');
  if (object === undefined) return undefined;
  reader.warnUnknownFields(object, 'dataset', ['id', 'trainLimit', 'testLimit', 'path', 'tokenizer', 'validationFraction']);

  let id: DatasetRef['id'] | undefined;
  if (typeof object.id === 'string' && !(DATASET_IDS as readonly string[]).includes(object.id)) {
    reader.report('dataset.id', `unknown dataset ${JSON.stringify(object.id)}. Use one of ${DATASET_IDS.join(', ')}.`);
  } else {
    id = reader.choice(object.id, 'dataset.id', DATASET_IDS);
  }

  const dataset: Partial<DatasetRef> = { id };
  const limitRule = { integer: true, min: 0, expected: 'a non-negative integer (0 for all samples)' };
  let valid = id !== undefined;
  for (const field of ['trainLimit', 'testLimit'] as const) {
    if (object[field] === undefined) continue;
    const limit = reader.number(object[field], `dataset.${field}`, limitRule);
    if (limit === undefined) valid = false;
    else dataset[field] = limit;
  }

  if (object.path !== undefined) {
    const path = reader.text(object.path, 'dataset.path');
    if (path === undefined) valid = false;
    else dataset.path = path;
  } else if (id === 'text-file') {
    reader.report('dataset.path', 'missing. The text-file dataset needs the path of a UTF-8 text file, absolute or relative to the project file.');
    valid = false;
  }
  if (object.tokenizer !== undefined) {
    const tokenizer = reader.choice(object.tokenizer, 'dataset.tokenizer', ['char', 'byte'] as const);
    if (tokenizer === undefined) valid = false;
    else dataset.tokenizer = tokenizer;
  }
  if (object.validationFraction !== undefined) {
    const fraction = reader.number(object.validationFraction, 'dataset.validationFraction', { above: 0, max: 0.5, expected: 'a number above 0 and at most 0.5' });
    if (fraction === undefined) valid = false;
    else dataset.validationFraction = fraction;
  }
  return valid ? (dataset as DatasetRef) : undefined;
}

/** Optional training fields with their rules, in the order a saved file lists them. */
const OPTIONAL_TRAINING_NUMBERS = [
  ['weightDecay', { min: 0, below: 1, expected: 'a number from 0 up to but not including 1' }],
  ['gradientClipNorm', { above: 0, expected: 'a positive number' }],
  ['warmupSteps', { integer: true, min: 0, expected: 'a non-negative integer' }],
  ['stepsPerEpoch', { integer: true, min: 1, expected: 'a positive integer' }],
  ['checkpointEveryEpochs', { integer: true, min: 1, expected: 'a positive integer' }],
] as const;

function readTraining(value: unknown, reader: FieldReader): TrainingSettings | undefined {
  const object = reader.object(value, 'training');
  if (object === undefined) return undefined;
  const optionalNames = OPTIONAL_TRAINING_NUMBERS.map(([name]) => name);
  reader.warnUnknownFields(object, 'training', [...Object.keys(DEFAULT_TRAINING), 'schedule', ...optionalNames]);

  const training = {
    epochs: reader.number(object.epochs, 'training.epochs', { integer: true, min: 1, expected: 'a positive integer' }),
    batchSize: reader.number(object.batchSize, 'training.batchSize', { integer: true, min: 1, expected: 'a positive integer' }),
    learningRate: reader.number(object.learningRate, 'training.learningRate', { above: 0, expected: 'a positive number' }),
    optimizer: reader.choice(object.optimizer, 'training.optimizer', ['sgd', 'adam', 'adamw'] as const),
    momentum: reader.number(object.momentum, 'training.momentum', { min: 0, below: 1, expected: 'a number from 0 up to but not including 1' }),
    seed: reader.number(object.seed, 'training.seed', { integer: true, min: 0, max: MAX_SEED, expected: `an integer from 0 to ${MAX_SEED}` }),
  };
  let valid = Object.values(training).every((field) => field !== undefined);
  const result = training as TrainingSettings;

  if (object.schedule !== undefined) {
    const schedule = reader.choice(object.schedule, 'training.schedule', ['constant', 'warmup-cosine'] as const);
    if (schedule === undefined) valid = false;
    else result.schedule = schedule;
  }
  for (const [name, rule] of OPTIONAL_TRAINING_NUMBERS) {
    if (object[name] === undefined) continue;
    const value = reader.number(object[name], `training.${name}`, rule);
    if (value === undefined) valid = false;
    else result[name] = value;
  }
  if (result.warmupSteps !== undefined && result.warmupSteps > 0 && result.schedule !== 'warmup-cosine') {
    reader.warnings.push({
      path: 'training.warmupSteps',
      message: 'training.warmupSteps: only the warmup-cosine schedule uses it, and training.schedule is not "warmup-cosine". Set the schedule or remove warmupSteps.',
    });
  }
  return valid ? result : undefined;
}

function readGraph(value: unknown, reader: FieldReader): ProjectGraph | undefined {
  const object = reader.object(value, 'graph');
  if (object === undefined) return undefined;
  reader.warnUnknownFields(object, 'graph', ['nodes', 'edges']);

  const nodeList = reader.list(object.nodes, 'graph.nodes');
  const edgeList = reader.list(object.edges, 'graph.edges');
  const nodes = nodeList?.map((item, index) => readNode(item, `graph.nodes[${index}]`, reader));
  const edges = edgeList?.map((item, index) => readEdge(item, `graph.edges[${index}]`, reader));
  if (nodes === undefined || edges === undefined) return undefined;
  if (nodes.some((node) => node === undefined) || edges.some((edge) => edge === undefined)) return undefined;
  return { nodes: nodes as GraphNode[], edges: edges as GraphEdge[] };
}

function readNode(value: unknown, path: string, reader: FieldReader): GraphNode | undefined {
  const object = reader.object(value, path);
  if (object === undefined) return undefined;
  reader.warnUnknownFields(object, path, ['id', 'type', 'position', 'params', 'parentId', 'sharding']);

  const id = reader.text(object.id, `${path}.id`);
  const type = reader.text(object.type, `${path}.type`);
  const position = reader.object(object.position, `${path}.position`);
  const coordinate = { expected: 'a finite number' };
  const x = position === undefined ? undefined : reader.number(position.x, `${path}.position.x`, coordinate);
  const y = position === undefined ? undefined : reader.number(position.y, `${path}.position.y`, coordinate);

  // A node may leave out `params`, and then every parameter takes its default.
  const paramsObject = object.params === undefined ? {} : reader.object(object.params, `${path}.params`);
  let paramsValid = paramsObject !== undefined;
  const params: Record<string, ParamValue> = {};
  for (const [name, param] of Object.entries(paramsObject ?? {})) {
    if (typeof param === 'number' || typeof param === 'string' || typeof param === 'boolean') {
      params[name] = param;
    } else {
      reader.report(`${path}.params.${name}`, `must be a number, a text or true/false, got ${describeJsonValue(param)}.`);
      paramsValid = false;
    }
  }

  const parentId = object.parentId === undefined ? undefined : reader.text(object.parentId, `${path}.parentId`);
  let sharding: NodeSharding | undefined;
  let shardingValid = true;
  if (object.sharding !== undefined) {
    if (typeof object.sharding === 'string' && (NODE_SHARDINGS as readonly string[]).includes(object.sharding)) {
      sharding = object.sharding as NodeSharding;
    } else {
      reader.report(`${path}.sharding`, `must be one of ${NODE_SHARDINGS.join(', ')}, got ${describeJsonValue(object.sharding)}. Remove it to use the inferred sharding.`);
      shardingValid = false;
    }
  }

  if (id === undefined || type === undefined || x === undefined || y === undefined || !paramsValid || !shardingValid) return undefined;
  if (object.parentId !== undefined && parentId === undefined) return undefined;
  return { id, type, position: { x, y }, params, ...(parentId === undefined ? {} : { parentId }), ...(sharding === undefined ? {} : { sharding }) };
}

function readEdge(value: unknown, path: string, reader: FieldReader): GraphEdge | undefined {
  const object = reader.object(value, path);
  if (object === undefined) return undefined;
  const fields = ['id', 'source', 'sourcePort', 'target', 'targetPort'] as const;
  reader.warnUnknownFields(object, path, fields);

  const edge: Partial<GraphEdge> = {};
  for (const field of fields) edge[field] = reader.text(object[field], `${path}.${field}`);
  return fields.every((field) => edge[field] !== undefined) ? (edge as GraphEdge) : undefined;
}

/**
 * Writes a project as pretty JSON with a trailing newline. Keys come in a fixed
 * order and parameters sorted by name, so saving the same project twice gives the
 * same bytes and diffs stay small. Fields outside the schema are left out.
 */
export function serializeProject(project: ProjectFile): string {
  const dataset: DatasetRef = { id: project.dataset.id };
  if (project.dataset.trainLimit !== undefined) dataset.trainLimit = project.dataset.trainLimit;
  if (project.dataset.testLimit !== undefined) dataset.testLimit = project.dataset.testLimit;
  if (project.dataset.path !== undefined) dataset.path = project.dataset.path;
  if (project.dataset.tokenizer !== undefined) dataset.tokenizer = project.dataset.tokenizer;
  if (project.dataset.validationFraction !== undefined) dataset.validationFraction = project.dataset.validationFraction;
  const { training } = project;
  const optionalTraining: Partial<TrainingSettings> = {};
  if (training.schedule !== undefined) optionalTraining.schedule = training.schedule;
  for (const [name] of OPTIONAL_TRAINING_NUMBERS) {
    if (training[name] !== undefined) optionalTraining[name] = training[name];
  }

  const ordered = {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: project.name,
    dataset,
    training: {
      epochs: training.epochs,
      batchSize: training.batchSize,
      learningRate: training.learningRate,
      optimizer: training.optimizer,
      momentum: training.momentum,
      seed: training.seed,
      ...optionalTraining,
    },
    graph: {
      nodes: project.graph.nodes.map((node) => ({
        id: node.id,
        type: node.type,
        position: { x: node.position.x, y: node.position.y },
        params: Object.fromEntries(Object.keys(node.params).sort().map((name) => [name, node.params[name]])),
        ...(node.parentId === undefined ? {} : { parentId: node.parentId }),
        ...(node.sharding === undefined ? {} : { sharding: node.sharding }),
      })),
      edges: project.graph.edges.map((edge) => ({
        id: edge.id,
        source: edge.source,
        sourcePort: edge.sourcePort,
        target: edge.target,
        targetPort: edge.targetPort,
      })),
    },
  };
  checkFiniteNumbers(ordered, '');
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Throws naming the first NaN or infinite number, which JSON would silently write as null. */
function checkFiniteNumbers(value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`Cannot write the project: ${path} is ${value}. Set it to a finite number first.`);
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkFiniteNumbers(item, `${path}[${index}]`));
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) checkFiniteNumbers(item, path === '' ? key : `${path}.${key}`);
  }
}

/** Returns a new project with an empty canvas, the MNIST dataset and the default training settings. */
export function createEmptyProject(name = 'Untitled'): ProjectFile {
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name,
    graph: { nodes: [], edges: [] },
    dataset: { id: 'mnist' },
    training: { ...DEFAULT_TRAINING },
  };
}
