/** The node registry as the renderer uses it: the engine's default registry, grouped for the palette. */

import { defaultRegistry } from '../../../engine/graph/nodes';
import type { NodeCategory, NodeTypeSpec } from '../../../engine/graph/types';

export const registry = defaultRegistry;

/** MIME type of a palette drag; the payload is the node type name. */
export const NODE_DRAG_MIME = 'application/x-tensorloom-node-type';

const CATEGORY_LABELS: Record<NodeCategory, string> = {
  data: 'Data',
  layer: 'Layers',
  activation: 'Activations',
  loss: 'Loss',
};

export interface PaletteGroup {
  category: NodeCategory;
  label: string;
  specs: NodeTypeSpec[];
}

export function paletteGroups(): PaletteGroup[] {
  const specs = registry.list();
  return (Object.keys(CATEGORY_LABELS) as NodeCategory[])
    .map((category) => ({
      category,
      label: CATEGORY_LABELS[category],
      specs: specs.filter((spec) => spec.category === category),
    }))
    .filter((group) => group.specs.length > 0);
}

/** Returns the spec of a node type, or undefined for a type the registry does not have. */
export function findSpec(type: string): NodeTypeSpec | undefined {
  return registry.has(type) ? registry.get(type) : undefined;
}
