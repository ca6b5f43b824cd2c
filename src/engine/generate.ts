/**
 * Token sampling for text generation: temperature, top-k and greedy decoding
 * over a logits vector, and a loop that extends a prompt one token at a time.
 */

import type { Rng } from './tensor/random';

export interface SamplingOptions {
  /** Divides the logits before the softmax. 0 means greedy: always the most likely token. */
  temperature: number;
  /** Samples among the k most likely tokens only. Default: all tokens. */
  topK?: number;
  /** Seeded generator, so a generation is reproducible; unused when greedy. */
  rng: Rng;
}

/** Draws the next token id from `logits` [V]. Ties in greedy decoding and at the top-k cut go to the lower id. */
export function sampleNextToken(logits: Float32Array, options: SamplingOptions): number {
  const vocabularySize = logits.length;
  if (vocabularySize === 0) throw new Error('sampleNextToken: logits are empty; the vocabulary needs at least one token.');
  const { temperature, topK } = options;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new Error(`sampleNextToken: temperature must be a finite number of at least 0 (0 is greedy), got ${String(temperature)}.`);
  }
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1 || topK > vocabularySize)) {
    throw new Error(`sampleNextToken: topK must be an integer in [1, ${vocabularySize}] (the vocabulary size), got ${topK}.`);
  }
  for (let i = 0; i < vocabularySize; i++) {
    if (Number.isNaN(logits[i])) throw new Error(`sampleNextToken: logits[${i}] is NaN; the model output is invalid, so check the training loss for divergence.`);
  }

  // Candidates by descending logit, lower id first among equals.
  const order = Array.from({ length: vocabularySize }, (_unused, i) => i).sort((x, y) => logits[y] - logits[x] || x - y);
  if (temperature === 0) return order[0];
  const candidates = order.slice(0, topK ?? vocabularySize);

  const top = logits[candidates[0]];
  const weights = candidates.map((id) => Math.exp((logits[id] - top) / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let threshold = options.rng.next() * total;
  for (let i = 0; i < candidates.length; i++) {
    threshold -= weights[i];
    if (threshold < 0) return candidates[i];
  }
  return candidates[candidates.length - 1]; // reached only through rounding in the running sum
}

export interface GenerateOptions extends SamplingOptions {
  /** Number of tokens to append to the prompt. */
  maxNewTokens: number;
}

/**
 * Extends `prompt` by `maxNewTokens` tokens, each drawn from
 * `nextTokenLogits(context)`, which receives every token so far and crops it
 * to its own context length. Returns the prompt followed by the new tokens.
 */
export function generateTokens(nextTokenLogits: (context: Int32Array) => Float32Array, prompt: Int32Array, options: GenerateOptions): Int32Array {
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new Error(`generateTokens: maxNewTokens must be a non-negative integer, got ${options.maxNewTokens}.`);
  }
  if (prompt.length === 0) throw new Error('generateTokens: the prompt is empty; give at least one token to continue from.');
  const tokens = new Int32Array(prompt.length + options.maxNewTokens);
  tokens.set(prompt);
  for (let position = prompt.length; position < tokens.length; position++) {
    tokens[position] = sampleNextToken(nextTokenLogits(tokens.subarray(0, position)), options);
  }
  return tokens;
}
