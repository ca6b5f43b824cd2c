/**
 * Model weights as the export and import paths see them: freshly initialised from a
 * project's seed, read from a safetensors file, checked tensor by tensor against the
 * parameters the project's graph compiles to, and encoded for export.
 */

import { readFileSync } from 'node:fs';
import type { WeightsIssue } from '../../shared/api';
import type { DatasetRef, ProjectFile } from '../../shared/project';
import { datasetShapes, isTextDataset } from '../../engine/data/catalog';
import { compileGraph } from '../../engine/graph/compile';
import type { DatasetShapes } from '../../engine/graph/types';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../engine/io/safetensors';
import { Rng } from '../../engine/tensor/random';
import { formatShape, shapesEqual } from '../../engine/tensor/tensor';
import { buildTokenizer, loadTextCorpus } from '../data/loadTextDataset';
import { describeError } from '../log';
import { graphHash, GRAPH_HASH_METADATA_KEY } from './graphHash';

/** One tensor of a weights set: row-major float32 values and their shape. */
export interface WeightTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** Tensors by parameter name (`fc1.weight`), sorted by name. */
export type WeightTensors = Map<string, WeightTensor>;

/** A weights file that was read and decoded, and where it came from. */
export interface LoadedWeights {
  tensors: WeightTensors;
  metadata: Record<string, string>;
  /** File path, or the file name of an upload. */
  location: string;
}

/** A weights file that cannot be read or decoded; the message names the file. */
export class WeightsFileError extends Error {
  constructor(
    message: string,
    readonly location: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'WeightsFileError';
  }
}

/** `__metadata__` key for the name of the project the weights belong to. */
export const PROJECT_NAME_METADATA_KEY = 'tensorloom.project';

/**
 * Returns the dataset shapes the graph compiles against, as the device session
 * computes them. A text dataset's vocabulary size depends on its tokenizer and, for
 * the character tokenizer, on its text, so that text is read. A relative
 * `text-file` path is resolved against `projectFolder` (default: the working directory).
 */
export function datasetShapesFor(dataset: DatasetRef, projectFolder?: string): DatasetShapes {
  if (!isTextDataset(dataset.id)) return datasetShapes(dataset.id);
  const kind = dataset.tokenizer ?? 'char';
  const text = kind === 'char' ? loadTextCorpus(dataset, projectFolder).text : '';
  return datasetShapes(dataset.id, buildTokenizer(kind, text).vocabularySize);
}

/**
 * Compiles the project's graph and returns its parameters as a run starts them: the
 * initialisation draws from the first fork of an Rng seeded with `training.seed`, as
 * the device session does. Throws naming each graph issue when the graph is invalid.
 */
export function initialWeights(project: ProjectFile, projectFolder?: string): WeightTensors {
  const initRng = new Rng(project.training.seed).fork();
  const model = compileGraph(project.graph, datasetShapesFor(project.dataset, projectFolder), initRng);
  const tensors: WeightTensors = new Map();
  for (const [name, tensor] of model.parameters) tensors.set(name, { shape: [...tensor.shape], data: tensor.data });
  return tensors;
}

/** Decodes safetensors bytes. A malformed file throws a WeightsFileError with the decoder's message and `location`. */
export function decodeWeights(bytes: Uint8Array, location: string): LoadedWeights {
  try {
    const decoded = decodeSafetensors(bytes);
    const names = [...decoded.tensors.keys()].sort();
    const tensors: WeightTensors = new Map();
    for (const name of names) {
      const tensor = decoded.tensors.get(name)!;
      tensors.set(name, { shape: tensor.shape, data: tensor.data });
    }
    return { tensors, metadata: decoded.metadata, location };
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    throw new WeightsFileError(`Cannot read weights file ${location}: ${error.message}`, location, { cause: error });
  }
}

/** Reads and decodes the safetensors file at `path`. Throws a WeightsFileError naming the file on any failure. */
export function readWeightsFile(path: string): LoadedWeights {
  let bytes: Uint8Array;
  try {
    const buffer = readFileSync(path);
    // NOTE: the decoder copies tensor data with `slice()`, which on a Node Buffer returns a view of
    // the whole underlying memory rather than a copy, so it is given a plain Uint8Array view.
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : describeError(error);
    throw new WeightsFileError(`Cannot read weights file ${path}: ${reason}. Check the path and try again.`, path, { cause: error });
  }
  return decodeWeights(bytes, path);
}

export interface WeightsCheck {
  /** One entry per missing, unexpected or mis-shaped tensor; empty when the weights fit. */
  issues: WeightsIssue[];
  warnings: string[];
}

/**
 * Checks `weights` against `expected` (the graph's parameters) tensor by tensor, and
 * warns when the file records a graph hash other than the project's.
 */
export function checkWeights(project: ProjectFile, expected: WeightTensors, weights: LoadedWeights): WeightsCheck {
  const issues: WeightsIssue[] = [];
  for (const [name, parameter] of expected) {
    const tensor = weights.tensors.get(name);
    if (tensor === undefined) {
      issues.push({
        tensorName: name,
        problem: 'missing',
        message: `Tensor "${name}" is missing: the graph needs it with shape ${formatShape(parameter.shape)}.`,
        expectedShape: [...parameter.shape],
      });
    } else if (!shapesEqual(tensor.shape, parameter.shape)) {
      issues.push({
        tensorName: name,
        problem: 'shape',
        message: `Tensor "${name}" has shape ${formatShape(tensor.shape)}, but the graph needs ${formatShape(parameter.shape)}.`,
        expectedShape: [...parameter.shape],
        actualShape: [...tensor.shape],
      });
    }
  }
  for (const [name, tensor] of weights.tensors) {
    if (expected.has(name)) continue;
    issues.push({
      tensorName: name,
      problem: 'unexpected',
      message: `Tensor "${name}" with shape ${formatShape(tensor.shape)} is not a parameter of this graph.`,
      actualShape: [...tensor.shape],
    });
  }

  const warnings: string[] = [];
  const recordedHash = weights.metadata[GRAPH_HASH_METADATA_KEY];
  if (recordedHash !== undefined && recordedHash !== graphHash(project)) {
    const from = weights.metadata[PROJECT_NAME_METADATA_KEY];
    warnings.push(
      `${weights.location} was saved for a different graph${from === undefined ? '' : ` (project "${from}")`}, ` +
        'though its tensor names and shapes fit this one. Check that it is the file you meant.',
    );
  }
  return { issues, warnings };
}

/** Formats a failed check as one message: the file, the count, then one line per tensor. */
export function describeWeightsIssues(location: string, issues: readonly WeightsIssue[]): string {
  const lines = issues.map((issue) => `  ${issue.message}`);
  return `${location} does not fit the graph: ${issues.length} tensor${issues.length === 1 ? '' : 's'} differ.\n${lines.join('\n')}`;
}

/**
 * Encodes `tensors` as safetensors with the project's name and graph hash in `__metadata__`.
 * Entries of `sourceMetadata` (a language model's tokenizer and vocabulary, the training
 * epoch) are kept unless one of those two keys replaces them.
 */
export function encodeWeights(project: ProjectFile, tensors: WeightTensors, sourceMetadata: Readonly<Record<string, string>> = {}): Uint8Array {
  return encodeSafetensors(tensors, {
    ...sourceMetadata,
    format: 'pt',
    [PROJECT_NAME_METADATA_KEY]: project.name,
    [GRAPH_HASH_METADATA_KEY]: graphHash(project),
  });
}
