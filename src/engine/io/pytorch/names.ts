/**
 * Submodule names of the nodes with parameters in the exported model, chosen
 * so that `state_dict()` keys equal Tensorloom's parameter names (`fc1.weight`).
 */

import { isPlainIdentifier, NameAllocator, pythonString } from './python';

/**
 * Public attributes of `torch.nn.Module` in PyTorch 1.13, some added in 2.x
 * (compile, set_submodule, mtia) and the methods of the exported class. A
 * submodule stored under one of these names would be hidden behind the attribute.
 */
// NOTE: a method that a later PyTorch release adds is missing here. add_module
// rejects such a name at construction, but a plain attribute would be hidden by it.
const MODULE_ATTRIBUTES = new Set([
  'T_destination', 'add_module', 'apply', 'bfloat16', 'buffers', 'call_super_init', 'children', 'compile', 'cpu',
  'cuda', 'double', 'dump_patches', 'eval', 'extra_repr', 'float', 'forward', 'get_buffer', 'get_extra_state',
  'get_parameter', 'get_submodule', 'half', 'ipu', 'load_state_dict', 'modules', 'mtia', 'named_buffers',
  'named_children', 'named_modules', 'named_parameters', 'parameters', 'register_backward_hook', 'register_buffer',
  'register_forward_hook', 'register_forward_pre_hook', 'register_full_backward_hook',
  'register_full_backward_pre_hook', 'register_load_state_dict_post_hook', 'register_load_state_dict_pre_hook',
  'register_module', 'register_parameter', 'register_state_dict_post_hook', 'register_state_dict_pre_hook',
  'requires_grad_', 'set_extra_state', 'set_submodule', 'share_memory', 'smart_apply', 'state_dict', 'to',
  'to_empty', 'train', 'training', 'type', 'xpu', 'zero_grad',
  // Methods and constants of the exported class.
  'logits', 'loss', 'RENAMED_PARAMETERS',
]);

/** Location of one node's submodule in the exported model. */
export interface LayerBinding {
  nodeId: string;
  /** Submodule name, the prefix of its `state_dict()` keys. Equals `nodeId` unless `renamed`. */
  moduleName: string;
  /** Python expression that reads the submodule inside a method (`self.fc1`). */
  access: string;
  /** Python statement that stores `constructor` as the submodule inside `__init__`. */
  assign(constructor: string): string;
  /**
   * True when PyTorch cannot take the node id as a module name, because it contains
   * a dot, is empty or is a name nn.Module already uses. The submodule then gets a
   * derived name, and the exported file maps Tensorloom's names to it.
   */
  renamed: boolean;
}

/**
 * Chooses a submodule name for each node id, in the order given:
 * - a plain identifier is an attribute: `self.fc1 = nn.Linear(...)`;
 * - another id that PyTorch accepts as a module name (no dot, not empty, not an
 *   nn.Module attribute) is registered under the id itself with `add_module`, so
 *   `state_dict()` keys still equal Tensorloom's names;
 * - any other id gets a derived identifier, marked `renamed`.
 */
export function bindLayers(nodeIds: readonly string[]): Map<string, LayerBinding> {
  const bindings = new Map<string, LayerBinding>();
  const plain = nodeIds.filter((id) => isAttributeName(id));
  const attributes = new NameAllocator([...MODULE_ATTRIBUTES, ...plain]);

  for (const nodeId of nodeIds) {
    if (isAttributeName(nodeId)) {
      bindings.set(nodeId, {
        nodeId,
        moduleName: nodeId,
        access: `self.${nodeId}`,
        assign: (constructor) => `self.${nodeId} = ${constructor}`,
        renamed: false,
      });
    } else if (isModuleName(nodeId)) {
      const literal = pythonString(nodeId);
      bindings.set(nodeId, {
        nodeId,
        moduleName: nodeId,
        access: `self.get_submodule(${literal})`,
        assign: (constructor) => `self.add_module(${literal}, ${constructor})`,
        renamed: false,
      });
    } else {
      const name = attributes.allocate(`node_${nodeId}`, 'node_');
      bindings.set(nodeId, {
        nodeId,
        moduleName: name,
        access: `self.${name}`,
        assign: (constructor) => `self.${name} = ${constructor}`,
        renamed: true,
      });
    }
  }
  return bindings;
}

function isAttributeName(nodeId: string): boolean {
  return isPlainIdentifier(nodeId) && !nodeId.startsWith('_') && !MODULE_ATTRIBUTES.has(nodeId);
}

/** True when `nn.Module.add_module` accepts `name` and `get_submodule` finds it again. */
function isModuleName(name: string): boolean {
  return name !== '' && !name.includes('.') && !name.startsWith('_') && !MODULE_ATTRIBUTES.has(name);
}
