/**
 * Text generation from the language model of the current or last run. The text
 * is requested in chunks of a few tokens, each continuing the prompt plus the
 * text so far, so Stop takes effect after the chunk being generated. Tokens
 * stream in as run events, each with the distribution it was drawn from.
 */

import type { GenerationRequest, RunEvent, TensorloomApi, TokenProbability } from '../../../shared/api';
import { defineContext } from '../lib/context';

/** Tokens per request; Stop waits for at most one chunk. */
const CHUNK_TOKENS = 16;

export interface GenerationSettings {
  prompt: string;
  /** 0 is greedy. */
  temperature: number;
  /** 0 means all tokens. */
  topK: number;
  tokenCount: number;
  seed: number;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class GenerationStore {
  /** Prompt of the last generation. */
  prompt = $state('');
  /** Text generated so far, without the prompt. */
  generated = $state('');
  /** Distribution of the latest generated token: the most likely candidates at temperature 1. */
  candidates = $state.raw<TokenProbability[]>([]);
  /** The token drawn at the latest step, highlighted among the candidates. */
  chosenTokenId = $state<number | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  #stopRequested = false;

  readonly #api: TensorloomApi;

  constructor(api: TensorloomApi) {
    this.#api = api;
  }

  /** Subscribes to the generated tokens among the run events and returns the unsubscribe function. */
  connect(): () => void {
    return this.#api.onDidRunEvent((event) => this.#handleEvent(event));
  }

  async generate(settings: GenerationSettings): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.#stopRequested = false;
    this.error = null;
    this.prompt = settings.prompt;
    this.generated = '';
    this.candidates = [];
    this.chosenTokenId = null;

    try {
      let remaining = settings.tokenCount;
      let chunkIndex = 0;
      while (remaining > 0 && !this.#stopRequested) {
        const request: GenerationRequest = {
          prompt: settings.prompt + this.generated,
          temperature: settings.temperature,
          maxTokens: Math.min(CHUNK_TOKENS, remaining),
          // Each chunk draws from its own seed, so chunks do not repeat one random sequence.
          seed: settings.seed + chunkIndex,
          ...(settings.topK > 0 ? { topK: settings.topK } : {}),
        };
        const result = await this.#api.generateText(request);
        // NOTE: with the byte tokenizer a character split across two chunks decodes as U+FFFD.
        this.generated = this.generated.slice(0, this.#chunkStart(request)) + result.generated;
        remaining -= result.tokenCount;
        chunkIndex += 1;
        if (result.tokenCount === 0) break;
      }
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.#stopRequested = true;
  }

  /** Length of the generated text before the chunk of `request` began. */
  #chunkStart(request: GenerationRequest): number {
    return request.prompt.length - this.prompt.length;
  }

  #handleEvent(event: RunEvent): void {
    if (event.kind !== 'generation' || !this.running) return;
    this.generated += event.token;
    this.candidates = event.candidates;
    this.chosenTokenId = event.tokenId;
  }
}

export const generationContext = defineContext<GenerationStore>('GenerationStore');
