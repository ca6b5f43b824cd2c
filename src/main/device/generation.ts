/**
 * Text generation from a trained language model, one token at a time, with
 * the distribution each token was drawn from. The device streams it between
 * training steps; the command line runs it from a checkpoint.
 */

import type { GenerationRequest, TokenProbability } from '../../shared/api';
import { describeCharacter, type Tokenizer } from '../../engine/data/tokenizers';
import { sampleNextToken } from '../../engine/generate';
import { Rng } from '../../engine/tensor/random';

/** Candidates reported with each generated token, most likely first. */
export const CANDIDATE_COUNT = 20;
/** Most tokens one request may generate. */
export const MAX_GENERATED_TOKENS = 2000;
/** Highest sampling temperature accepted. */
export const MAX_TEMPERATURE = 10;

export interface GeneratedToken {
  index: number;
  tokenId: number;
  token: string;
  candidates: TokenProbability[];
}

/** Throws naming the first invalid field of `request`, with the allowed range. */
export function checkGenerationRequest(request: GenerationRequest, vocabularySize: number): void {
  if (typeof request !== 'object' || request === null) throw new TypeError('generateText: the request must be an object with prompt, temperature and maxTokens.');
  if (typeof request.prompt !== 'string' || request.prompt === '') {
    throw new Error('generateText: prompt must be a non-empty text to continue from.');
  }
  if (typeof request.temperature !== 'number' || !Number.isFinite(request.temperature) || request.temperature < 0 || request.temperature > MAX_TEMPERATURE) {
    throw new Error(`generateText: temperature must be a number from 0 (greedy) to ${MAX_TEMPERATURE}, got ${String(request.temperature)}.`);
  }
  if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1 || request.maxTokens > MAX_GENERATED_TOKENS) {
    throw new Error(`generateText: maxTokens must be a whole number from 1 to ${MAX_GENERATED_TOKENS}, got ${String(request.maxTokens)}.`);
  }
  if (request.topK !== undefined && (!Number.isInteger(request.topK) || request.topK < 1 || request.topK > vocabularySize)) {
    throw new Error(`generateText: topK must be a whole number from 1 to the vocabulary size ${vocabularySize}, got ${String(request.topK)}.`);
  }
  if (request.seed !== undefined && (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > 0xffffffff)) {
    throw new Error(`generateText: seed must be a whole number from 0 to ${0xffffffff}, got ${String(request.seed)}.`);
  }
}

/** Encodes the prompt, throwing naming the first character that the tokenizer's vocabulary lacks. */
export function encodePrompt(tokenizer: Tokenizer, prompt: string): Int32Array {
  let position = 0;
  for (const character of prompt) {
    try {
      tokenizer.encode(character);
    } catch {
      throw new Error(
        `The prompt contains ${describeCharacter(character)} at character ${position}, which is not in the model's vocabulary of ` +
          `${tokenizer.vocabularySize} characters (the characters of its training text). Remove or replace it.`,
      );
    }
    position += 1;
  }
  return tokenizer.encode(prompt);
}

/** Returns the `count` most likely tokens under softmax(logits) at temperature 1, most likely first. */
export function topCandidates(logits: Float32Array, tokenizer: Tokenizer, count = CANDIDATE_COUNT): TokenProbability[] {
  let top = -Infinity;
  for (const logit of logits) top = Math.max(top, logit);
  let total = 0;
  for (const logit of logits) total += Math.exp(logit - top);
  const order = Array.from({ length: logits.length }, (_unused, id) => id).sort((a, b) => logits[b] - logits[a] || a - b);
  return order.slice(0, count).map((tokenId) => ({
    tokenId,
    token: tokenizer.decode([tokenId]),
    probability: Math.exp(logits[tokenId] - top) / total,
  }));
}

/**
 * One generation in progress: each `next()` draws one token after the prompt and
 * the tokens so far. The same request and model always give the same tokens.
 */
export class Generation {
  readonly promptIds: Int32Array;
  private readonly tokens: number[];
  private readonly rng: Rng;
  private produced = 0;

  constructor(
    private readonly nextTokenLogits: (context: Int32Array) => Float32Array,
    private readonly tokenizer: Tokenizer,
    private readonly request: GenerationRequest,
  ) {
    checkGenerationRequest(request, tokenizer.vocabularySize);
    this.promptIds = encodePrompt(tokenizer, request.prompt);
    this.tokens = Array.from(this.promptIds);
    this.rng = new Rng(request.seed ?? 0);
  }

  get finished(): boolean {
    return this.produced >= this.request.maxTokens;
  }

  next(): GeneratedToken {
    const logits = this.nextTokenLogits(Int32Array.from(this.tokens));
    const tokenId = sampleNextToken(logits, { temperature: this.request.temperature, topK: this.request.topK, rng: this.rng });
    this.tokens.push(tokenId);
    const index = this.produced;
    this.produced += 1;
    return { index, tokenId, token: this.tokenizer.decode([tokenId]), candidates: topCandidates(logits, this.tokenizer) };
  }

  /** Decodes every generated token at once, which keeps multi-byte characters of the byte tokenizer whole. */
  generatedText(): string {
    return this.tokenizer.decode(this.tokens.slice(this.promptIds.length));
  }
}
