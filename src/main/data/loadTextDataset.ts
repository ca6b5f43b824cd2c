/**
 * Loads the text of a text dataset under Node and cuts it into training and
 * validation windows for a language model.
 */

import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_VALIDATION_FRACTION, type DatasetRef, type TokenizerKind } from '../../shared/project';
import { datasetShapes } from '../../engine/data/catalog';
import { buildTextDataset, type TextDataset } from '../../engine/data/text';
import type { DatasetShapes } from '../../engine/graph/types';
import { ByteTokenizer, CharTokenizer, type Tokenizer } from '../../engine/data/tokenizers';
import { loadBrownCorpus, loadTextFile, type TextCorpus } from './textCorpus';

export interface LoadedText {
  dataset: TextDataset;
  /** `brown`, or the absolute path of the text file. */
  source: string;
}

/** Returns the text of a text dataset reference: the Brown corpus, or the file at `ref.path` (resolved against `baseFolder`). */
export function loadTextCorpus(ref: DatasetRef, baseFolder = process.cwd()): TextCorpus {
  if (ref.id === 'brown') return loadBrownCorpus();
  if (ref.id !== 'text-file') throw new Error(`Dataset ${ref.id} is not a text dataset; choose brown or text-file.`);
  if (ref.path === undefined || ref.path.trim() === '') {
    throw new Error('dataset.path: missing. The text-file dataset needs the path of a UTF-8 text file; set dataset.path.');
  }
  const path = isAbsolute(ref.path) ? ref.path : resolve(baseFolder, ref.path);
  try {
    return loadTextFile(path);
  } catch (error) {
    throw new Error(`dataset.path: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Builds the tokenizer of `kind` for `text`: the character tokenizer takes every distinct character of the text as its vocabulary. */
export function buildTokenizer(kind: TokenizerKind, text: string): Tokenizer {
  return kind === 'byte' ? new ByteTokenizer() : CharTokenizer.fromText(text);
}

/**
 * Loads and tokenizes a text dataset for windows of `contextLength` tokens.
 * `contextNodeId` names the Token input node in the message when the text is
 * too short for its context length.
 */
export function loadTextDataset(ref: DatasetRef, contextLength: number, seed: number, contextNodeId: string, baseFolder?: string): LoadedText {
  const corpus = loadTextCorpus(ref, baseFolder);
  const tokenizer = buildTokenizer(ref.tokenizer ?? 'char', corpus.text);
  const validationFraction = ref.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  const tokenCount = tokenizer.encode(corpus.text).length;
  // Training and validation each need at least one block with a whole window and its next token.
  const neededTokens = 2 * (contextLength + 1);
  if (tokenCount < neededTokens) {
    const error = new Error(
      `${describeSource(corpus.source)} has ${tokenCount} tokens, but the context length ${contextLength} of TokenInput node "${contextNodeId}" needs at least ` +
        `${neededTokens} (one window of ${contextLength + 1} for training and one for validation). Lower contextLength of "${contextNodeId}" or use a longer text.`,
    );
    // The device reports `nodeId` with the error, so the canvas marks the Token input node.
    throw Object.assign(error, { nodeId: contextNodeId });
  }
  try {
    const dataset = buildTextDataset(corpus.text, tokenizer, { contextLength, validationFraction, seed });
    return { dataset, source: corpus.source };
  } catch (error) {
    throw new Error(`${describeSource(corpus.source)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function describeSource(source: string): string {
  return source === 'brown' ? 'The Brown corpus' : `Text file ${source} (dataset.path)`;
}

/**
 * Returns the shapes a language model compiles against: the text is loaded and
 * tokenized only to learn the vocabulary size, which the character tokenizer
 * takes from the text.
 */
export function textDatasetShapes(ref: DatasetRef, baseFolder?: string): DatasetShapes {
  const corpus = loadTextCorpus(ref, baseFolder);
  return datasetShapes(ref.id, buildTokenizer(ref.tokenizer ?? 'char', corpus.text).vocabularySize);
}
