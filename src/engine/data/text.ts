/**
 * Next-token datasets from plain text. The text is tokenized once and cut
 * into contiguous blocks, and a seeded choice of blocks becomes the
 * validation split, so validation windows come from text the model never
 * trains on. A window is `contextLength` tokens and its targets are the same
 * window shifted by one token.
 */

import { Rng } from '../tensor/random';
import type { Tokenizer } from './tokenizers';

export interface TextDatasetOptions {
  /** Tokens per training window. */
  contextLength: number;
  /** Share of the blocks held out for validation, in [0, 1). */
  validationFraction: number;
  /** Seed of the choice of validation blocks. */
  seed: number;
  /** Number of contiguous blocks the text is cut into. Default min(20, tokens / (contextLength + 1)). */
  blockCount?: number;
}

export interface TextSplit {
  /** Start of every window of this split in the dataset's `tokens`; a window and its target stay inside one run of blocks of this split. */
  windowStarts: Int32Array;
  /** Tokens in this split's blocks. */
  tokenCount: number;
  /** Runs of adjacent blocks of this split, as [start, end) token offsets. */
  segments: ReadonlyArray<{ start: number; end: number }>;
}

export interface TextDataset {
  tokenizer: Tokenizer;
  contextLength: number;
  /** Every token of the text, in order. */
  tokens: Int32Array;
  train: TextSplit;
  validation: TextSplit;
  /**
   * Entropy of the training split's token frequencies, −Σ p·ln p, in nats per
   * token (per character for the character tokenizer). A model that ignores
   * context can do no better, so a trained model's loss should fall below it.
   */
  unigramEntropyNats: number;
}

export interface TextBatch {
  /** [B, T] token ids, row-major. */
  inputs: Int32Array;
  /** [B, T]: each input position's next token. */
  targets: Int32Array;
  shape: [number, number];
}

/**
 * Throws unless `text` is usable as training text: not empty, no NUL
 * characters (a sign of a binary file) and no unpaired UTF-16 surrogates.
 * `source` names the file or corpus in the message.
 */
export function checkText(text: string, source: string): void {
  if (typeof text !== 'string') throw new Error(`${source}: the text must be a string, got ${typeof text}.`);
  if (text.length === 0) throw new Error(`${source}: the text is empty; give a text of at least a few hundred characters.`);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) throw new Error(`${source}: the text contains a NUL character at offset ${i}, so it looks like binary data; use a plain UTF-8 text file.`);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      throw new Error(`${source}: the text contains an unpaired surrogate (U+${code.toString(16).toUpperCase()}) at offset ${i}, which is not valid Unicode; re-save the text as UTF-8.`);
    }
  }
}

/**
 * Decodes file bytes as UTF-8 text, rejecting empty input, NUL bytes and
 * invalid UTF-8 with the byte offset of the first problem. A leading byte
 * order mark is dropped.
 */
export function decodeTextBytes(bytes: Uint8Array, source: string): string {
  if (bytes.length === 0) throw new Error(`${source}: the file is empty; give a text of at least a few hundred characters.`);
  const nulOffset = bytes.indexOf(0);
  if (nulOffset !== -1) throw new Error(`${source}: byte ${nulOffset} is NUL, so this looks like a binary file; use a plain UTF-8 text file.`);
  const invalidOffset = firstInvalidUtf8Offset(bytes);
  if (invalidOffset !== -1) {
    throw new Error(`${source}: the bytes at offset ${invalidOffset} are not valid UTF-8; re-save the file as UTF-8 text.`);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** Returns the offset of the first byte that starts an invalid UTF-8 sequence, or -1 when all of `bytes` is valid. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Sequence length and the allowed range of the second byte (which rules out overlong forms and surrogates).
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (let k = 2; k < length; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += length;
  }
  return -1;
}

/** Tokenizes `text` and splits it into training and validation windows by contiguous blocks. */
export function buildTextDataset(text: string, tokenizer: Tokenizer, options: TextDatasetOptions): TextDataset {
  checkText(text, 'buildTextDataset');
  const { contextLength, validationFraction, seed } = options;
  if (!Number.isInteger(contextLength) || contextLength <= 0) {
    throw new Error(`buildTextDataset: contextLength must be a positive integer, got ${contextLength}.`);
  }
  if (typeof validationFraction !== 'number' || !(validationFraction >= 0 && validationFraction < 1)) {
    throw new Error(`buildTextDataset: validationFraction must be in [0, 1), got ${validationFraction}.`);
  }

  const tokens = tokenizer.encode(text);
  const windowLength = contextLength + 1; // inputs plus the one-token shift of the targets
  if (tokens.length < windowLength) {
    throw new Error(
      `buildTextDataset: a context length of ${contextLength} needs at least ${windowLength} tokens, but the text has ${tokens.length}; use a longer text or a shorter context.`,
    );
  }
  const blockCount = options.blockCount ?? Math.min(20, Math.floor(tokens.length / windowLength));
  if (!Number.isInteger(blockCount) || blockCount < 1 || Math.floor(tokens.length / blockCount) < windowLength) {
    throw new Error(
      `buildTextDataset: blockCount must be a positive integer that leaves every block at least ${windowLength} tokens long; the text has ${tokens.length} tokens, got ${blockCount}.`,
    );
  }

  const validationBlocks = validationFraction === 0 ? 0 : Math.max(1, Math.round(validationFraction * blockCount));
  if (validationBlocks >= blockCount) {
    throw new Error(
      `buildTextDataset: the text has ${tokens.length} tokens, only enough for ${blockCount} block(s) of ${windowLength}, and validation would take ${validationBlocks} of them, leaving none to train on; use a longer text, a shorter context, or a smaller validationFraction.`,
    );
  }

  const order = new Rng(seed).shuffle(Array.from({ length: blockCount }, (_unused, block) => block));
  const isValidation = new Array<boolean>(blockCount).fill(false);
  for (const block of order.slice(0, validationBlocks)) isValidation[block] = true;
  const blockStart = (block: number) => Math.floor((block * tokens.length) / blockCount);

  const train = collectSplit(isValidation.map((value) => !value), blockStart, contextLength);
  const validation = collectSplit(isValidation, blockStart, contextLength);
  return {
    tokenizer,
    contextLength,
    tokens,
    train,
    validation,
    unigramEntropyNats: unigramEntropy(tokens, train.segments, tokenizer.vocabularySize),
  };
}

/** Gathers the runs of blocks where `member` is true and every window start inside them. */
function collectSplit(member: boolean[], blockStart: (block: number) => number, contextLength: number): TextSplit {
  const segments: Array<{ start: number; end: number }> = [];
  for (let block = 0; block < member.length; block++) {
    if (!member[block]) continue;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.end === blockStart(block)) last.end = blockStart(block + 1);
    else segments.push({ start: blockStart(block), end: blockStart(block + 1) });
  }

  let windowCount = 0;
  let tokenCount = 0;
  for (const { start, end } of segments) {
    windowCount += end - start - contextLength;
    tokenCount += end - start;
  }
  const windowStarts = new Int32Array(windowCount);
  let next = 0;
  for (const { start, end } of segments) {
    for (let position = start; position + contextLength < end; position++) windowStarts[next++] = position;
  }
  return { windowStarts, tokenCount, segments };
}

function unigramEntropy(tokens: Int32Array, segments: TextSplit['segments'], vocabularySize: number): number {
  const counts = new Float64Array(vocabularySize);
  let total = 0;
  for (const { start, end } of segments) {
    for (let i = start; i < end; i++) counts[tokens[i]]++;
    total += end - start;
  }
  let entropy = 0;
  for (const count of counts) {
    if (count > 0) entropy -= (count / total) * Math.log(count / total);
  }
  return entropy;
}

/** Draws `batchSize` windows of `split` uniformly at random (with replacement), with their next-token targets. */
export function sampleTextBatch(dataset: TextDataset, split: TextSplit, batchSize: number, rng: Rng): TextBatch {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`sampleTextBatch: batchSize must be a positive integer, got ${batchSize}.`);
  if (split.windowStarts.length === 0) throw new Error('sampleTextBatch: the split has no windows; build the dataset with a validationFraction above 0 to get validation windows.');
  const indices = new Int32Array(batchSize);
  for (let row = 0; row < batchSize; row++) indices[row] = rng.int(split.windowStarts.length);
  return textWindowBatch(dataset, split, indices);
}

/** Returns the windows of `split` at `windowIndices` (into `split.windowStarts`), in that order, for evaluation. */
export function textWindowBatch(dataset: TextDataset, split: TextSplit, windowIndices: ArrayLike<number>): TextBatch {
  const length = dataset.contextLength;
  const batchSize = windowIndices.length;
  const inputs = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  for (let row = 0; row < batchSize; row++) {
    const index = windowIndices[row];
    if (!Number.isInteger(index) || index < 0 || index >= split.windowStarts.length) {
      throw new Error(`textWindowBatch: window index ${index} is outside [0, ${split.windowStarts.length - 1}]; pass indices into split.windowStarts.`);
    }
    const start = split.windowStarts[index];
    inputs.set(dataset.tokens.subarray(start, start + length), row * length);
    targets.set(dataset.tokens.subarray(start + 1, start + 1 + length), row * length);
  }
  return { inputs, targets, shape: [batchSize, length] };
}
