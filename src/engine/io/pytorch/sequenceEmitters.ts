/**
 * PyTorch forms of the language-model node types: token input, embedding,
 * positions, attention, norms, feed-forward, residual and concat, dropout and
 * the unembedding. Sequences are [B, T, C] as in the engine.
 */

import { CONCAT_MAX_INPUTS } from '../../graph/nodes/concat';
import type { EmitContext, NodeEmitter } from './emitters';
import { pythonBool, pythonFloat, pythonInt, pythonString } from './python';

function width(context: EmitContext, port = 'input'): number {
  const shape = context.inputShapes[port];
  const last = shape[shape.length - 1];
  if (typeof last !== 'number') {
    throw new Error(`Cannot export to PyTorch: node "${context.nodeId}" receives a width of ${String(last)}, which is not fixed. Feed it from an Embedding.`);
  }
  return last;
}

function length(context: EmitContext): number {
  const dim = context.inputShapes.input[1];
  if (typeof dim !== 'number') {
    throw new Error(`Cannot export to PyTorch: node "${context.nodeId}" receives a sequence length of ${String(dim)}, which is not fixed. Feed it from a Token input.`);
  }
  return dim;
}

/** Returns the vocabulary size, which is known only once the text of the dataset is loaded. */
function vocabularySize(context: EmitContext): number {
  if (context.vocabularySize === undefined) {
    throw new Error(
      `Cannot export to PyTorch: node "${context.nodeId}" needs the vocabulary size, which is known only once the text is loaded. ` +
        'Pass the loaded dataset shapes in the export options.',
    );
  }
  return context.vocabularySize;
}

const approximation = (context: EmitContext) => pythonString(context.params.approximate === 'tanh' ? 'tanh' : 'none');

export const SEQUENCE_EMITTERS: ReadonlyArray<readonly [string, NodeEmitter]> = [
  [
    'TokenInput',
    {
      argument: 'tokens',
      forward: ({ inputs }) => ({ tokens: `${inputs.features}.long()` }), // [B, T]
    },
  ],
  [
    'Embedding',
    {
      layer: (context) => ({
        constructor: `nn.Embedding(${pythonInt(vocabularySize(context))}, ${pythonInt(context.params.width as number)})`,
        parameters: ['weight'],
        init: (module) => [`nn.init.normal_(${module}.weight, std=0.02)`],
      }),
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }), // [B, T] -> [B, T, C]
    },
  ],
  [
    'PositionalEncoding',
    {
      layer(context) {
        const learned = context.params.kind !== 'sinusoidal';
        const className = learned ? 'LearnedPositions' : 'SinusoidalPositions';
        return {
          constructor: `${className}(${pythonInt(length(context))}, ${pythonInt(width(context))})`,
          parameters: learned ? ['weight'] : [],
          init: () => [],
          classes: [className],
        };
      },
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  [
    'AttentionHead',
    {
      layer: (context) => ({
        constructor: `AttentionHead(${pythonInt(width(context))}, ${pythonInt(context.params.headSize as number)}, causal=${pythonBool(context.params.causal === true)})`,
        parameters: ['w_q', 'w_k', 'w_v'],
        init: () => [],
        classes: ['AttentionHead'],
      }),
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }), // [B, T, C] -> [B, T, H]
    },
  ],
  [
    'MultiHeadAttention',
    {
      layer(context) {
        const heads = context.params.heads as number;
        const parameters: string[] = [];
        for (let head = 0; head < heads; head++) parameters.push(`heads.${head}.w_q`, `heads.${head}.w_k`, `heads.${head}.w_v`);
        parameters.push('w_o.weight', 'w_o.bias');
        return {
          constructor: `MultiHeadAttention(${pythonInt(width(context))}, ${pythonInt(heads)}, causal=${pythonBool(context.params.causal === true)})`,
          parameters,
          init: () => [],
          classes: ['MultiHeadAttention'],
        };
      },
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  [
    'TransformerBlock',
    {
      layer(context) {
        const { params } = context;
        const heads = params.heads as number;
        const norm = params.norm === 'rms' ? 'rms' : 'layer';
        const normParameters = (name: string) => (norm === 'layer' ? [`${name}.weight`, `${name}.bias`] : [`${name}.weight`]);
        const parameters = [...normParameters('ln1'), ...normParameters('ln2')];
        for (let head = 0; head < heads; head++) parameters.push(`attn.heads.${head}.w_q`, `attn.heads.${head}.w_k`, `attn.heads.${head}.w_v`);
        parameters.push('attn.w_o.weight', 'attn.w_o.bias', 'ff.fc1.weight', 'ff.fc1.bias', 'ff.fc2.weight', 'ff.fc2.bias');
        const constructorArguments = [
          pythonInt(width(context)),
          pythonInt(heads),
          `hidden_width=${pythonInt(params.hiddenWidth as number)}`,
          `norm=${pythonString(norm)}`,
          `approximate=${approximation(context)}`,
          `dropout=${pythonFloat(params.dropout as number)}`,
          `causal=${pythonBool(params.causal === true)}`,
        ];
        // One argument per line, because seven of them make too long a line.
        const constructor = ['TransformerBlock(', ...constructorArguments.map((argument) => `    ${argument},`), ')'].join('\n');
        return { constructor, parameters, init: () => [], classes: ['TransformerBlock'] };
      },
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  [
    'FeedForward',
    {
      layer: (context) => ({
        constructor: `FeedForward(${pythonInt(width(context))}, ${pythonInt(context.params.hiddenWidth as number)}, approximate=${approximation(context)})`,
        parameters: ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'],
        init: () => [],
        classes: ['FeedForward'],
      }),
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  [
    'LayerNorm',
    {
      layer: (context) => ({
        constructor: `nn.LayerNorm(${pythonInt(width(context))}, eps=${pythonFloat(context.params.eps as number)})`,
        parameters: ['weight', 'bias'],
        init: () => [],
      }),
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  [
    'RMSNorm',
    {
      layer: (context) => ({
        constructor: `RMSNorm(${pythonInt(width(context))}, eps=${pythonFloat(context.params.eps as number)})`,
        parameters: ['weight'],
        init: () => [],
        classes: ['RMSNorm'],
      }),
      forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }),
    },
  ],
  ['ResidualAdd', { forward: ({ inputs }) => ({ output: `${inputs.a} + ${inputs.b}` }) }],
  [
    'Concat',
    {
      forward({ inputs }) {
        const parts: string[] = [];
        for (let index = 1; index <= CONCAT_MAX_INPUTS; index++) {
          const part = inputs[`input${index}`];
          if (part !== undefined) parts.push(part);
        }
        return { output: `torch.cat([${parts.join(', ')}], dim=-1)` };
      },
    },
  ],
  ['GELU', { forward: ({ inputs }) => ({ output: `F.gelu(${inputs.input})` }) }],
  [
    'Dropout',
    { forward: ({ params, inputs }) => ({ output: `F.dropout(${inputs.input}, p=${pythonFloat(params.p as number)}, training=self.training)` }) },
  ],
  [
    'Unembedding',
    {
      layer(context) {
        const tied = (context.params.tieTo as string) !== '';
        const bias = context.params.bias === true;
        const parameters = [...(tied ? [] : ['weight']), ...(bias ? ['bias'] : [])];
        const constructor = `Unembedding(${pythonInt(width(context))}, ${pythonInt(vocabularySize(context))}, bias=${pythonBool(bias)}, tied=${pythonBool(tied)})`;
        return { constructor, parameters, init: () => [], classes: ['Unembedding'] };
      },
      forward({ module, params, inputs, moduleOf }) {
        const tieTo = params.tieTo as string;
        if (tieTo === '') return { output: `${module}(${inputs.input})` }; // [B, T, C] -> [B, T, V]
        return { output: `${module}(${inputs.input}, tied_weight=${moduleOf(tieTo)}.weight)` };
      },
    },
  ],
  [
    'SoftmaxTemperature',
    { forward: ({ params, inputs }) => ({ output: `torch.softmax(${inputs.input} / ${pythonFloat(params.temperature as number)}, dim=-1)` }) },
  ],
];
