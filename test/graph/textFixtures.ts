import type { ParamValue, ProjectGraph } from '../../src/shared/project';
import type { DatasetShapes } from '../../src/engine/graph/types';
import { edge, node } from './fixtures';

/** Shapes of a text dataset before its text is loaded: the vocabulary size is unknown. */
export const TEXT_SHAPES: DatasetShapes = { featureShape: [], classCount: 0, task: 'language-model' };

/** Shapes of a loaded text dataset with `vocabularySize` tokens. */
export function textShapes(vocabularySize: number): DatasetShapes {
  return { featureShape: [], classCount: vocabularySize, task: 'language-model', vocabularySize };
}

export interface GptGraphOptions {
  contextLength?: number;
  width?: number;
  heads?: number;
  blocks?: number;
  hiddenWidth?: number;
  tied?: boolean;
  /** Replaces the parameters of every Transformer block node. */
  blockParams?: Record<string, ParamValue>;
}

/** tokens → embed → pos → block1 … blockN → ln_f → unembed → loss, with the targets wired to the loss. */
export function gptGraph(options: GptGraphOptions = {}): ProjectGraph {
  const blocks = options.blocks ?? 1;
  const nodes = [
    node('tokens', 'TokenInput', { contextLength: options.contextLength ?? 8 }),
    node('embed', 'Embedding', { width: options.width ?? 16 }),
    node('pos', 'PositionalEncoding', { kind: 'learned' }),
  ];
  const edges = [edge('tokens', 'tokens', 'embed', 'input'), edge('embed', 'output', 'pos', 'input')];
  let previous = 'pos';
  for (let index = 1; index <= blocks; index++) {
    const id = `block${index}`;
    nodes.push(node(id, 'TransformerBlock', options.blockParams ?? { heads: options.heads ?? 2, hiddenWidth: options.hiddenWidth ?? 32 }));
    edges.push(edge(previous, 'output', id, 'input'));
    previous = id;
  }
  nodes.push(
    node('ln_f', 'LayerNorm'),
    node('unembed', 'Unembedding', { tieTo: options.tied === false ? '' : 'embed' }),
    node('loss', 'Loss', { kind: 'cross-entropy' }),
  );
  edges.push(
    edge(previous, 'output', 'ln_f', 'input'),
    edge('ln_f', 'output', 'unembed', 'input'),
    edge('unembed', 'output', 'loss', 'prediction'),
    edge('tokens', 'targets', 'loss', 'target'),
  );
  return { nodes, edges };
}
