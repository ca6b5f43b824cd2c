/**
 * The text side of a device run: loading the text of a language model's
 * dataset, sampling batches of windows, evaluating next-token loss, and the
 * attention and activation snapshots of one input text.
 */

import type { ActivationProbe, ActivationSnapshot, AttentionSnapshot } from '../../shared/api';
import type { DatasetId, ProjectFile, ProjectGraph } from '../../shared/project';
import { datasetShapes } from '../../engine/data/catalog';
import { sampleTextBatch, textWindowBatch, type TextBatch, type TextDataset, type TextSplit } from '../../engine/data/text';
import type { Tokenizer } from '../../engine/data/tokenizers';
import type { CompiledModel } from '../../engine/graph/compile';
import { defaultRegistry } from '../../engine/graph/nodes/index';
import { resolveParams } from '../../engine/graph/registry';
import type { DatasetShapes } from '../../engine/graph/types';
import { softmax } from '../../engine/ops/softmax';
import type { Rng } from '../../engine/tensor/random';
import { noGrad, Tensor } from '../../engine/tensor/tensor';
import { loadTextDataset } from '../data/loadTextDataset';
import { histogram } from './histogram';

/** Validation windows per evaluation, spread evenly over the validation text; bounds the time an epoch end takes. */
const EVALUATION_WINDOWS = 128;
/** Windows per forward pass during evaluation; bounds memory, not results. */
const EVALUATION_BATCH_SIZE = 32;

export interface TextMetrics {
  /** Mean next-token loss in nats per token. */
  loss: number;
  /** Share of positions whose most likely next token is the target. */
  accuracy: number;
}

/** Returns the Token input node of a graph and its context length, or null when the graph has none. */
export function findTokenInput(graph: ProjectGraph): { nodeId: string; contextLength: number } | null {
  const node = graph.nodes.find((candidate) => candidate.type === 'TokenInput');
  if (node === undefined) return null;
  const { params } = resolveParams(defaultRegistry.get('TokenInput')!, node.params ?? {});
  return { nodeId: node.id, contextLength: params.contextLength as number };
}

export class TextTask {
  readonly dataset: TextDataset;
  readonly source: string;
  readonly contextLength: number;
  private readonly datasetId: DatasetId;

  constructor(project: ProjectFile, projectFolder: string | undefined) {
    this.datasetId = project.dataset.id;
    const tokenInput = findTokenInput(project.graph);
    if (tokenInput === null) {
      throw new Error(`Dataset ${project.dataset.id} is text, so the graph needs a Token input node in place of the Input node. Add one from the palette.`);
    }
    this.contextLength = tokenInput.contextLength;
    const loaded = loadTextDataset(project.dataset, tokenInput.contextLength, project.training.seed, tokenInput.nodeId, projectFolder);
    this.dataset = loaded.dataset;
    this.source = loaded.source;
  }

  get tokenizer(): Tokenizer {
    return this.dataset.tokenizer;
  }

  shapes(): DatasetShapes {
    return datasetShapes(this.datasetId, this.tokenizer.vocabularySize);
  }

  /** Draws `batchSize` random training windows: token ids [B, T] as numbers, and their B·T next tokens. */
  trainingBatch(batchSize: number, rng: Rng): { tokens: Tensor; targets: Int32Array } {
    return toModelBatch(sampleTextBatch(this.dataset, this.dataset.train, batchSize, rng));
  }

  /** Evaluates evenly spaced windows of `split` (the same ones every time) in eval mode, without recording ops. */
  evaluate(model: CompiledModel, split: TextSplit): TextMetrics {
    const windowCount = Math.min(EVALUATION_WINDOWS, split.windowStarts.length);
    if (windowCount === 0) return { loss: 0, accuracy: 0 };
    const indices = Array.from({ length: windowCount }, (_unused, i) => Math.floor((i * split.windowStarts.length) / windowCount));
    let lossSum = 0;
    let correct = 0;
    let positions = 0;
    noGrad(() => {
      for (let first = 0; first < windowCount; first += EVALUATION_BATCH_SIZE) {
        const { tokens, targets } = toModelBatch(textWindowBatch(this.dataset, split, indices.slice(first, first + EVALUATION_BATCH_SIZE)));
        const { loss, prediction } = model.forward(tokens, targets, 'eval');
        lossSum += loss.item() * targets.length;
        correct += countCorrectTokens(prediction, targets);
        positions += targets.length;
      }
    });
    return { loss: lossSum / positions, accuracy: correct / positions };
  }

  /** Returns the token ids of the probe text, cut to the context length; by default the start of the validation text. */
  probeTokens(text: string | null | undefined): Int32Array {
    if (typeof text === 'string' && text !== '') {
      const ids = encodeKnown(this.tokenizer, text);
      if (ids.length > 0) return ids.subarray(0, this.contextLength);
    }
    const start = this.dataset.validation.segments[0]?.start ?? this.dataset.train.segments[0].start;
    return this.dataset.tokens.slice(start, start + this.contextLength);
  }

  /** Runs the probe text through the model and returns every attention node's weights with the decoded tokens. */
  attentionSnapshot(model: CompiledModel, probe: ActivationProbe): AttentionSnapshot | null {
    if (model.attentionNodeIds.length === 0) return null;
    const ids = this.probeTokens(probe.text);
    noGrad(() => model.forward(idsTensor(ids), new Int32Array(ids.length), 'eval'));
    // NOTE: the byte tokenizer decodes each byte of a multi-byte character on its own, as U+FFFD.
    const tokens = Array.from(ids, (id) => this.tokenizer.decode([id]));
    const layers = model.lastAttention().map((capture) => ({
      nodeId: capture.nodeId,
      nodeType: capture.nodeType,
      heads: capture.heads.map((weights) => Array.from(weights.data.subarray(0, ids.length * ids.length))), // [1, T, T] -> T·T
    }));
    return { tokens, layers };
  }

  /**
   * Returns what the probed node computes for the probe text: its output for the one
   * window, and for the Loss node the next-token probabilities at every position.
   */
  activationSnapshot(model: CompiledModel, graph: ProjectGraph, probe: ActivationProbe): ActivationSnapshot | null {
    if (probe.nodeId === null) return null;
    const node = graph.nodes.find((candidate) => candidate.id === probe.nodeId);
    if (node === undefined) return null;
    const ids = this.probeTokens(probe.text);
    const result = noGrad(() => model.forward(idsTensor(ids), new Int32Array(ids.length), 'eval'));
    const output = node.id === model.lossNodeId ? noGrad(() => softmax(result.prediction, -1)) : result.outputs.get(node.id); // [1, T, V]
    if (output === undefined) return null;

    const snapshot: ActivationSnapshot = {
      nodeId: node.id,
      nodeType: node.type,
      sampleIndex: 0,
      label: null,
      values: Array.from(output.data),
      shape: output.shape.slice(1),
    };
    const weight = model.parameters.get(`${node.id}.weight`);
    if (weight !== undefined) {
      snapshot.weightHistogram = histogram(weight.data);
      if (weight.grad !== null) snapshot.gradientHistogram = histogram(weight.grad);
    }
    return snapshot;
  }
}

function toModelBatch(batch: TextBatch): { tokens: Tensor; targets: Int32Array } {
  return { tokens: new Tensor(Float32Array.from(batch.inputs), batch.shape), targets: batch.targets }; // [B, T]
}

function idsTensor(ids: Int32Array): Tensor {
  return new Tensor(Float32Array.from(ids), [1, ids.length]); // [1, T]
}

/** Encodes `text`, leaving out characters the tokenizer does not know, so any typed probe text shows something. */
function encodeKnown(tokenizer: Tokenizer, text: string): Int32Array {
  const ids: number[] = [];
  for (const character of text) {
    try {
      ids.push(...tokenizer.encode(character));
    } catch {
      // NOTE: a character outside the vocabulary is skipped here; generation rejects it instead, naming it.
    }
  }
  return Int32Array.from(ids);
}

/** Counts positions of `logits` [B, T, V] whose largest score is at the target token. */
function countCorrectTokens(logits: Tensor, targets: Int32Array): number {
  const vocabularySize = logits.shape[2];
  const data = logits.data;
  let correct = 0;
  for (let position = 0; position < targets.length; position++) {
    const offset = position * vocabularySize;
    let best = 0;
    for (let token = 1; token < vocabularySize; token++) if (data[offset + token] > data[offset + best]) best = token;
    if (best === targets[position]) correct += 1;
  }
  return correct;
}
