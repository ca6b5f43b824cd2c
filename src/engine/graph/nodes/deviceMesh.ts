import { DEVICE_MESH_NODE_TYPE } from '../../../shared/project';
import type { NodeTypeSpec } from '../types';

export const deviceMeshNode: NodeTypeSpec = {
  type: DEVICE_MESH_NODE_TYPE,
  label: 'Device mesh',
  category: 'layer',
  planOnly: true,
  description:
    'Sets how many simulated devices train the graph and how they split the work: data × tensor devices in all. Data ' +
    'parallelism gives each replica its slice of the batch and sums the gradients. Tensor parallelism splits the layers ' +
    'placed in a tensor-parallel group over the tensor devices. Sequence parallelism also splits the norms and the ' +
    'activations between those layers along the sequence. Every plan computes the same numbers as one device. A graph ' +
    'takes at most one mesh, and the node has no ports.',
  inputs: [],
  outputs: [],
  params: [
    { kind: 'int', name: 'dataParallel', label: 'Data parallel', help: 'Replicas that each train on a slice of the batch; must divide the batch size.', default: 1, min: 1, max: 64 },
    { kind: 'int', name: 'tensorParallel', label: 'Tensor parallel', help: 'Devices that split each layer of a tensor-parallel group.', default: 1, min: 1, max: 64 },
    { kind: 'bool', name: 'sequenceParallel', label: 'Sequence parallel', help: 'Splits norms and activations along the sequence; needs tensor parallel 2 or more.', default: false },
  ],

  inferShape() {
    return { ok: true, outputs: {} };
  },

  compile() {
    return { parameters: {}, forward: () => ({}) };
  },
};

/** Returns the device count of a mesh node's parameters, data × tensor. */
export function meshDeviceCount(params: Readonly<Record<string, unknown>>): number {
  const data = typeof params.dataParallel === 'number' ? params.dataParallel : 1;
  const tensor = typeof params.tensorParallel === 'number' ? params.tensorParallel : 1;
  return data * tensor;
}
