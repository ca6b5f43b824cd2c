/**
 * Palette entries that insert several wired nodes at once. Each is built by a
 * template function of the engine, so its pieces are ordinary registry nodes
 * the user can inspect and rewire.
 */

import { transformerBlockTemplate } from '../../../engine/graph/templates';
import type { FlowPoint, ProjectGraph } from '../../../shared/project';
import type { GraphValidation } from './validation';
import { insertTemplate, nextTemplatePrefix, type PortRef } from './graphEdits';

/** MIME type of a palette drag that carries a template id. */
export const TEMPLATE_DRAG_MIME = 'application/x-tensorloom-template';

/** Horizontal distance from a selected node to an inserted template, in flow units. */
const TEMPLATE_OFFSET_X = 220;

export interface TemplateInsertion {
  graph: ProjectGraph;
  /** Ids of the inserted nodes, which the canvas selects so they move as a group. */
  nodeIds: string[];
}

export interface PaletteTemplate {
  id: string;
  label: string;
  description: string;
  /**
   * Inserts the template at `position`. With a `source` port, it is wired after that
   * port and sized to the width arriving there.
   */
  insert(graph: ProjectGraph, position: FlowPoint, source: PortRef | null, validation: GraphValidation): TemplateInsertion;
}

/** Returns the width C of a sequence [B, T, C] leaving `source`, or null when it is not known yet. */
function sequenceWidth(source: PortRef | null, validation: GraphValidation): number | null {
  if (source === null) return null;
  const shape = validation.nodeShapes.get(source.nodeId)?.[source.port];
  const width = shape?.[shape.length - 1];
  return shape?.length === 3 && typeof width === 'number' ? width : null;
}

/** Returns 4 heads when they divide `width`, otherwise the largest head count below 4 that does. */
function headCountFor(width: number): number {
  for (const heads of [4, 3, 2]) if (width % heads === 0) return heads;
  return 1;
}

export const PALETTE_TEMPLATES: readonly PaletteTemplate[] = [
  {
    id: 'transformer-block',
    label: 'Transformer block (expanded)',
    description:
      'Inserts a pre-norm transformer block as separate nodes: norm, multi-head attention and a residual add, then norm, ' +
      'feed-forward and a second residual add. Select the node it should follow first to wire it in and size it to that width.',
    insert(graph, position, source, validation) {
      const width = sequenceWidth(source, validation);
      const template = transformerBlockTemplate({
        idPrefix: nextTemplatePrefix(graph, 'block'),
        position,
        ...(width === null ? {} : { heads: headCountFor(width), hiddenWidth: 4 * width }),
      });
      return { graph: insertTemplate(graph, template, source), nodeIds: template.nodes.map((node) => node.id) };
    },
  },
];

export function findTemplate(id: string): PaletteTemplate | undefined {
  return PALETTE_TEMPLATES.find((template) => template.id === id);
}

/**
 * Returns where a template inserted without dragging goes and what it follows: to
 * the right of the one selected node, wired after its first output, or at
 * `fallback` unwired when no single node is selected.
 */
export function placementAfter(
  graph: ProjectGraph,
  selectedNodeId: string | null,
  outputPortOf: (nodeType: string) => string | undefined,
  fallback: FlowPoint,
): { position: FlowPoint; source: PortRef | null } {
  const selected = graph.nodes.find((node) => node.id === selectedNodeId);
  const port = selected === undefined ? undefined : outputPortOf(selected.type);
  if (selected === undefined || port === undefined) return { position: fallback, source: null };
  return {
    position: { x: selected.position.x + TEMPLATE_OFFSET_X, y: selected.position.y },
    source: { nodeId: selected.id, port },
  };
}
