/**
 * Templates that insert several wired nodes at once, so the canvas can drop in
 * an expanded transformer block whose pieces the user can then inspect and rewire.
 */

import type { FlowPoint, GraphEdge, GraphNode } from '../../shared/project';

/** One port of one node, where the template's input arrives or its output leaves. */
export interface PortRef {
  nodeId: string;
  port: string;
}

export interface GraphTemplate {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Ports that the template's input must feed, all from the same source. */
  inputs: PortRef[];
  /** Port that carries the template's result onward. */
  output: PortRef;
}

export interface TransformerBlockTemplateOptions {
  /** Prefix of every node and edge id (`block1` gives `block1_ln1`, `block1_attn` …); must not clash with ids in the graph. */
  idPrefix: string;
  /** Canvas position of the first node; the others follow to the right, in flow coordinates. */
  position: FlowPoint;
  /** Attention heads; the count must divide the model width. Default 4. */
  heads?: number;
  /** Hidden width of the feed-forward layer. Default 256, 4 × a model width of 64. */
  hiddenWidth?: number;
  /** Default true. */
  causal?: boolean;
  /** Default 'layer'. */
  norm?: 'layer' | 'rms';
}

/** Gap between two nodes of a template on the canvas, in flow units. */
const TEMPLATE_STEP_X = 200;
const TEMPLATE_BRANCH_Y = 120;

/**
 * Returns the nodes and edges of one pre-norm transformer block built from
 * separate nodes: norm → multi-head attention → residual add, then norm →
 * feed-forward → residual add. It computes the same function as a Transformer
 * block node with the same weights.
 */
export function transformerBlockTemplate(options: TransformerBlockTemplateOptions): GraphTemplate {
  const { idPrefix, position } = options;
  if (!/^[A-Za-z0-9_]+$/.test(idPrefix)) {
    throw new Error(`transformerBlockTemplate: idPrefix "${idPrefix}" must use letters, digits and underscores only, because it starts parameter names.`);
  }
  const normType = options.norm === 'rms' ? 'RMSNorm' : 'LayerNorm';
  const id = (name: string) => `${idPrefix}_${name}`;
  const at = (column: number, row = 0): FlowPoint => ({ x: position.x + column * TEMPLATE_STEP_X, y: position.y + row * TEMPLATE_BRANCH_Y });

  const nodes: GraphNode[] = [
    { id: id('ln1'), type: normType, position: at(0, 1), params: {} },
    { id: id('attn'), type: 'MultiHeadAttention', position: at(1, 1), params: { heads: options.heads ?? 4, causal: options.causal ?? true } },
    { id: id('add1'), type: 'ResidualAdd', position: at(2), params: {} },
    { id: id('ln2'), type: normType, position: at(3, 1), params: {} },
    { id: id('ff'), type: 'FeedForward', position: at(4, 1), params: { hiddenWidth: options.hiddenWidth ?? 256 } },
    { id: id('add2'), type: 'ResidualAdd', position: at(5), params: {} },
  ];
  const edge = (source: string, target: string, targetPort: string): GraphEdge => ({
    id: id(`${source}_${target}_${targetPort}`),
    source: id(source),
    sourcePort: 'output',
    target: id(target),
    targetPort,
  });
  const edges: GraphEdge[] = [
    edge('ln1', 'attn', 'input'),
    edge('attn', 'add1', 'b'),
    edge('add1', 'ln2', 'input'),
    edge('add1', 'add2', 'a'),
    edge('ln2', 'ff', 'input'),
    edge('ff', 'add2', 'b'),
  ];
  return {
    nodes,
    edges,
    inputs: [
      { nodeId: id('ln1'), port: 'input' },
      { nodeId: id('add1'), port: 'a' },
    ],
    output: { nodeId: id('add2'), port: 'output' },
  };
}
