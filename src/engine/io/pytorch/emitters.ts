/**
 * PyTorch forms of the node types: the submodule a node owns, if any, and the
 * expression of each output in `forward`. Exporting a node type without an
 * entry here throws an error that names the node.
 */

import type { ParamValue } from '../../../shared/project';
import type { SymbolicShape } from '../../graph/types';
import { pythonBool, pythonInt } from './python';
import type { PythonClassName } from './pythonClasses';
import { SEQUENCE_EMITTERS } from './sequenceEmitters';

export interface EmitContext {
  nodeId: string;
  params: Readonly<Record<string, ParamValue>>;
  /** Shape arriving at each connected input port, with the batch dimension symbolic. */
  inputShapes: Readonly<Record<string, SymbolicShape>>;
  /** Python expression of each connected input, by port name. */
  inputs: Readonly<Record<string, string>>;
  /** Python expression that reads the node's submodule, for a node with a `layer`. */
  module: string;
  /** Returns the Python expression that reads another node's submodule, such as the Embedding a tied Unembedding reuses. */
  moduleOf(nodeId: string): string;
  /** Tokens in the vocabulary of a text dataset, when known. */
  vocabularySize?: number;
}

export interface LayerCode {
  /** Python expression that builds the submodule. */
  constructor: string;
  /** Local names of the submodule's parameters, as the engine names them (`weight`, `bias`). */
  parameters: readonly string[];
  /** Statements run in `__init__` after the submodule is stored, with `module` reading it. */
  init(module: string): string[];
  /** Helper classes the constructor uses, which the file then defines. */
  classes?: readonly PythonClassName[];
}

export interface NodeEmitter {
  /** For a data node: the name of the `forward` argument that receives the batch, which arrives as `inputs.features`. */
  argument?: string;
  /** The submodule of a node with parameters; its state_dict() keys are the node's local parameter names. */
  layer?(context: EmitContext): LayerCode;
  /** Python expression of each output port that `forward` computes. */
  forward(context: EmitContext): Record<string, string>;
}

function elementwise(functionName: string): NodeEmitter {
  return { forward: ({ inputs }) => ({ output: `${functionName}(${inputs.input})` }) };
}

function lastDim(shape: SymbolicShape, nodeId: string): number {
  const dim = shape[shape.length - 1];
  if (typeof dim !== 'number') {
    throw new Error(`Cannot export to PyTorch: node "${nodeId}" receives a last dimension of ${String(dim)}, which is not fixed, so its width is unknown.`);
  }
  return dim;
}

const denseEmitter: NodeEmitter = {
  layer({ nodeId, params, inputShapes }) {
    const inFeatures = lastDim(inputShapes.input, nodeId);
    const units = params.units as number;
    const bias = params.bias === true;
    return {
      constructor: `nn.Linear(${pythonInt(inFeatures)}, ${pythonInt(units)}, bias=${pythonBool(bias)})`,
      parameters: bias ? ['weight', 'bias'] : ['weight'],
      init(module) {
        // Tensorloom's He init is N(0, 2 / fan_in), and its Xavier init is U(±√(6 / (fan_in + fan_out))).
        const weightInit =
          params.init === 'xavier'
            ? `nn.init.xavier_uniform_(${module}.weight)`
            : `nn.init.kaiming_normal_(${module}.weight, nonlinearity="relu")`;
        return bias ? [weightInit, `nn.init.zeros_(${module}.bias)`] : [weightInit];
      },
    };
  },
  forward: ({ module, inputs }) => ({ output: `${module}(${inputs.input})` }), // [..., in] -> [..., units]
};

/** Emitters by node type. */
export const NODE_EMITTERS: ReadonlyMap<string, NodeEmitter> = new Map<string, NodeEmitter>([
  // The Input node flattens each sample to one row, as the engine does.
  [
    'Input',
    {
      argument: 'features',
      forward: ({ inputs }) => ({ features: `${inputs.features}.reshape(${inputs.features}.shape[0], -1)` }), // [B, ...] -> [B, F]
    },
  ],
  ['Dense', denseEmitter],
  ['ReLU', elementwise('torch.relu')],
  ['Sigmoid', elementwise('torch.sigmoid')],
  ['Tanh', elementwise('torch.tanh')],
  ['Softmax', { forward: ({ inputs }) => ({ output: `torch.softmax(${inputs.input}, dim=-1)` }) }],
  ...SEQUENCE_EMITTERS,
]);
