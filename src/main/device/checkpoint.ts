/**
 * Checkpoints of a run's parameters as safetensors files: one F32 tensor per
 * parameter under its unsharded name (`block1.attn.heads.0.w_q`), with the
 * Tensorloom version, the project name, the graph hash and, for language
 * models, the tokenizer and its vocabulary under `__metadata__`. Files are
 * written atomically, so a crash never leaves half a checkpoint.
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ProjectFile } from '../../shared/project';
import type { Tokenizer } from '../../engine/data/tokenizers';
import { CharTokenizer, ByteTokenizer, describeCharacter } from '../../engine/data/tokenizers';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../engine/io/safetensors';
import { formatShape, type Tensor } from '../../engine/tensor/tensor';
import { AtomicWriteError, writeFileAtomic } from '../files/atomicFile';
import { graphHash, GRAPH_HASH_METADATA_KEY } from '../export/graphHash';
import { PROJECT_NAME_METADATA_KEY } from '../export/weights';
import { TENSORLOOM_VERSION } from './version';

export const VERSION_METADATA_KEY = 'tensorloom.version';
export const TOKENIZER_METADATA_KEY = 'tensorloom.tokenizer';
/** JSON list of the characters of a character tokenizer, in id order. */
export const VOCABULARY_METADATA_KEY = 'tensorloom.vocabulary';
export const EPOCH_METADATA_KEY = 'tensorloom.epoch';
export const STEP_METADATA_KEY = 'tensorloom.step';

export interface CheckpointProgress {
  epoch: number;
  step: number;
}

/** Writes `parameters` to `path` through a temporary file and a rename, creating the folder if needed. */
export function writeCheckpoint(
  path: string,
  project: ProjectFile,
  parameters: ReadonlyMap<string, Tensor>,
  tokenizer: Tokenizer | null,
  progress: CheckpointProgress,
): void {
  const metadata: Record<string, string> = {
    [VERSION_METADATA_KEY]: TENSORLOOM_VERSION,
    [PROJECT_NAME_METADATA_KEY]: project.name,
    [GRAPH_HASH_METADATA_KEY]: graphHash(project),
    [EPOCH_METADATA_KEY]: String(progress.epoch),
    [STEP_METADATA_KEY]: String(progress.step),
  };
  if (tokenizer !== null) {
    metadata[TOKENIZER_METADATA_KEY] = tokenizer.kind;
    if (tokenizer instanceof CharTokenizer) metadata[VOCABULARY_METADATA_KEY] = JSON.stringify(tokenizer.vocabulary);
  }
  const bytes = encodeSafetensors(parameters, metadata);

  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, bytes);
  } catch (error) {
    const reason = error instanceof AtomicWriteError ? error.reason : errorText(error);
    throw new Error(`Cannot write the checkpoint ${path}: ${reason}. Check that the folder is writable and the disk has space.`, { cause: error });
  }
}

export interface Checkpoint {
  path: string;
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Reads a checkpoint, throwing with the path when the file is missing or not valid safetensors. */
export function readCheckpoint(path: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read the checkpoint ${path}: ${errorText(error)}. Train the project once to write it, or pass the path of an existing checkpoint.`, {
      cause: error,
    });
  }
  try {
    const decoded = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { path, tensors: decoded.tensors, metadata: decoded.metadata };
  } catch (error) {
    throw new Error(`The checkpoint ${path} is not a valid safetensors file: ${errorText(error)}`, { cause: error });
  }
}

/** Returns the tokenizer recorded in a checkpoint, or null when it records none (a classifier's checkpoint). */
export function checkpointTokenizer(checkpoint: Checkpoint): Tokenizer | null {
  const kind = checkpoint.metadata[TOKENIZER_METADATA_KEY];
  if (kind === undefined) return null;
  if (kind === 'byte') return new ByteTokenizer();
  if (kind !== 'char') throw new Error(`The checkpoint ${checkpoint.path} records the unknown tokenizer "${kind}"; it was written by another program or a newer Tensorloom.`);
  const vocabularyText = checkpoint.metadata[VOCABULARY_METADATA_KEY];
  let vocabulary: unknown;
  try {
    vocabulary = JSON.parse(vocabularyText ?? '');
  } catch {
    vocabulary = undefined;
  }
  if (!Array.isArray(vocabulary)) {
    throw new Error(`The checkpoint ${checkpoint.path} uses the character tokenizer but records no valid vocabulary under ${VOCABULARY_METADATA_KEY}.`);
  }
  return new CharTokenizer(vocabulary as string[]);
}

/**
 * Returns one line per difference between the tokenizer a checkpoint was trained
 * with and the project's, or an empty list when they agree.
 */
export function vocabularyMismatch(saved: Tokenizer | null, current: Tokenizer): string[] {
  if (saved === null) return ['the checkpoint records no tokenizer, so it was not written by a language model run'];
  if (saved.kind !== current.kind) {
    return [`the checkpoint was trained with the ${saved.kind} tokenizer but the project uses the ${current.kind} tokenizer (dataset.tokenizer)`];
  }
  if (!(saved instanceof CharTokenizer) || !(current instanceof CharTokenizer)) return [];
  const savedSet = new Set(saved.vocabulary);
  const currentSet = new Set(current.vocabulary);
  const onlySaved = saved.vocabulary.filter((character) => !currentSet.has(character));
  const onlyCurrent = current.vocabulary.filter((character) => !savedSet.has(character));
  if (onlySaved.length === 0 && onlyCurrent.length === 0) return [];
  const lines = [`the checkpoint's vocabulary has ${saved.vocabularySize} characters but the project's text gives ${current.vocabularySize}`];
  if (onlySaved.length > 0) lines.push(`characters in the checkpoint but not in the text: ${listCharacters(onlySaved)}`);
  if (onlyCurrent.length > 0) lines.push(`characters in the text but not in the checkpoint: ${listCharacters(onlyCurrent)}`);
  return lines;
}

/** Returns one line per tensor that is missing from the checkpoint, not in the graph, or of another shape. */
export function parameterMismatches(parameters: ReadonlyMap<string, Tensor>, tensors: ReadonlyMap<string, SafetensorsTensor>): string[] {
  const lines: string[] = [];
  for (const [name, parameter] of parameters) {
    const found = tensors.get(name);
    if (found === undefined) lines.push(`missing tensor "${name}" ${formatShape(parameter.shape)}: the checkpoint has no tensor of that name`);
    else if (formatShape(found.shape) !== formatShape(parameter.shape)) {
      lines.push(`tensor "${name}" is ${formatShape(found.shape)} in the checkpoint but ${formatShape(parameter.shape)} in the graph`);
    }
  }
  for (const [name, tensor] of tensors) {
    if (!parameters.has(name)) lines.push(`unexpected tensor "${name}" ${formatShape(tensor.shape)}: the graph has no parameter of that name`);
  }
  return lines;
}

/** Copies the checkpoint's values into `parameters`; call after `parameterMismatches` found nothing. */
export function loadParameters(parameters: ReadonlyMap<string, Tensor>, tensors: ReadonlyMap<string, SafetensorsTensor>): void {
  for (const [name, parameter] of parameters) parameter.data.set(tensors.get(name)!.data);
}

/**
 * Checks a checkpoint against the model and the tokenizer and loads its values.
 * Throws listing every mismatch, with what to change.
 */
export function loadCheckpointInto(checkpoint: Checkpoint, parameters: ReadonlyMap<string, Tensor>, tokenizer: Tokenizer | null): void {
  if (tokenizer !== null) {
    const vocabulary = vocabularyMismatch(checkpointTokenizer(checkpoint), tokenizer);
    if (vocabulary.length > 0) {
      throw new Error(
        `Cannot resume from ${checkpoint.path}, because the vocabulary does not match: ${vocabulary.join('; ')}. ` +
          'Use the same text and tokenizer as the run that wrote it (dataset.id, dataset.path, dataset.tokenizer), or train from scratch without resuming.',
      );
    }
  }
  const mismatches = parameterMismatches(parameters, checkpoint.tensors);
  if (mismatches.length > 0) {
    throw new Error(
      `Cannot resume from ${checkpoint.path}: ${mismatches.length} tensor(s) do not match the graph:\n- ${mismatches.join('\n- ')}\n` +
        'Restore the graph the checkpoint was written for, or train from scratch without resuming.',
    );
  }
  loadParameters(parameters, checkpoint.tensors);
}

function listCharacters(characters: readonly string[]): string {
  const shown = characters.slice(0, 10).map(describeCharacter).join(', ');
  return characters.length > 10 ? `${shown} and ${characters.length - 10} more` : shown;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
