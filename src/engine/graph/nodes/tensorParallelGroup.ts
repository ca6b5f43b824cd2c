import { TENSOR_PARALLEL_GROUP_NODE_TYPE } from '../../../shared/project';
import type { NodeTypeSpec } from '../types';

export const tensorParallelGroupNode: NodeTypeSpec = {
  type: TENSOR_PARALLEL_GROUP_NODE_TYPE,
  label: 'Tensor-parallel group',
  category: 'layer',
  planOnly: true,
  description:
    'A frame on the canvas: layers dropped into it are split over the tensor devices of the device mesh in the Megatron ' +
    'pattern. The first Dense of a pair is split by its output columns and needs no communication, the second by its ' +
    'input rows and ends with one all-reduce, and attention is split by heads. A layer\'s sharding setting overrides the ' +
    'pattern. Layers outside every group are replicated on each device.',
  inputs: [],
  outputs: [],
  params: [],

  inferShape() {
    return { ok: true, outputs: {} };
  },

  compile() {
    return { parameters: {}, forward: () => ({}) };
  },
};
