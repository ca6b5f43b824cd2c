/** The node registry as the renderer uses it: the engine's default registry, grouped for the palette. */

import { defaultRegistry } from '../../../engine/graph/nodes';
import type { NodeCategory, NodeTypeSpec } from '../../../engine/graph/types';

export const registry = defaultRegistry;

/** MIME type of a palette drag; the payload is the node type name. */
export const NODE_DRAG_MIME = 'application/x-tensorloom-node-type';

const CATEGORY_LABELS: Record<NodeCategory, string> = {
  data: 'Data',
  embedding: 'Embeddings',
  layer: 'Layers',
  attention: 'Attention',
  normalization: 'Normalization',
  activation: 'Activations',
  loss: 'Loss',
};

export interface PaletteGroup {
  /** A node category, or `devices` for the plan nodes (device mesh, tensor-parallel group). */
  category: NodeCategory | 'devices';
  label: string;
  specs: NodeTypeSpec[];
}

/** Returns the palette sections: one per node category, then `Devices` with the nodes that set the parallel plan. */
export function paletteGroups(): PaletteGroup[] {
  const specs = registry.list();
  const computing = specs.filter((spec) => spec.planOnly !== true);
  const groups: PaletteGroup[] = (Object.keys(CATEGORY_LABELS) as NodeCategory[]).map((category) => ({
    category,
    label: CATEGORY_LABELS[category],
    specs: computing.filter((spec) => spec.category === category),
  }));
  groups.push({ category: 'devices', label: 'Devices', specs: specs.filter((spec) => spec.planOnly === true) });
  return groups.filter((group) => group.specs.length > 0);
}

/** Returns the spec of a node type, or undefined for a type the registry does not have. */
export function findSpec(type: string): NodeTypeSpec | undefined {
  return registry.has(type) ? registry.get(type) : undefined;
}
