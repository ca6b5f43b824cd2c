/**
 * Geometry of tensor-parallel groups on the canvas. The project file stores every
 * node's position in absolute flow coordinates, while Svelte Flow places a child
 * relative to its parent node. A group's frame spans a minimum size from its own
 * position and grows to enclose the padded bounding box of its children, so there
 * is always room to drop another layer in.
 */

import type { FlowPoint, GraphNode, ProjectGraph } from '../../../../shared/project';
import { TENSOR_PARALLEL_GROUP_NODE_TYPE } from '../../../../shared/project';
import { PLAN_NODE_TYPES } from '../../../../engine/parallel/graphPlan';

/** A rectangle in flow coordinates. */
export interface FlowRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FlowSize {
  width: number;
  height: number;
}

/** Size assumed for a node Svelte Flow has not measured yet. */
export const UNMEASURED_NODE_SIZE: FlowSize = { width: 160, height: 90 };
const MIN_GROUP_SIZE: FlowSize = { width: 420, height: 220 };
const FRAME_PADDING = 24;
/** Extra room above the children for the group's title bar. */
const FRAME_HEADER = 30;

export function isGroupNode(node: Pick<GraphNode, 'type'>): boolean {
  return node.type === TENSOR_PARALLEL_GROUP_NODE_TYPE;
}

/** Returns the frame of every tensor-parallel group, by group id. */
export function groupFrames(graph: ProjectGraph, sizeOf: (nodeId: string) => FlowSize): Map<string, FlowRect> {
  const frames = new Map<string, FlowRect>();
  for (const group of graph.nodes.filter(isGroupNode)) {
    let left = group.position.x;
    let top = group.position.y;
    let right = left + MIN_GROUP_SIZE.width;
    let bottom = top + MIN_GROUP_SIZE.height;
    for (const child of graph.nodes.filter((node) => node.parentId === group.id)) {
      const size = sizeOf(child.id);
      left = Math.min(left, child.position.x - FRAME_PADDING);
      top = Math.min(top, child.position.y - FRAME_PADDING - FRAME_HEADER);
      right = Math.max(right, child.position.x + size.width + FRAME_PADDING);
      bottom = Math.max(bottom, child.position.y + size.height + FRAME_PADDING);
    }
    frames.set(group.id, { x: left, y: top, width: right - left, height: bottom - top });
  }
  return frames;
}

/** Returns the id of the group whose frame contains `point`, or null. The last group drawn wins, as it is on top. */
export function groupAt(point: FlowPoint, frames: ReadonlyMap<string, FlowRect>): string | null {
  let found: string | null = null;
  for (const [groupId, frame] of frames) {
    const inside = point.x >= frame.x && point.x <= frame.x + frame.width && point.y >= frame.y && point.y <= frame.y + frame.height;
    if (inside) found = groupId;
  }
  return found;
}

/** Returns true when a node of this type may sit in a tensor-parallel group: any computing node, but no plan node. */
export function canJoinGroup(node: Pick<GraphNode, 'type'>): boolean {
  return !PLAN_NODE_TYPES.has(node.type);
}

/** Returns the center of a node at `position` (its top left) with `size`. */
export function centerOf(position: FlowPoint, size: FlowSize): FlowPoint {
  return { x: position.x + size.width / 2, y: position.y + size.height / 2 };
}

/** A drag as the project records it: new absolute positions, and new groups of the dragged layers. */
export interface DragResult {
  positions: Map<string, FlowPoint>;
  /** Group id, or null for none, of each dragged node that may sit in a group. */
  parents: Map<string, string | null>;
  /** Undo label: `Move`, or the first change of group. */
  label: string;
}

/**
 * Works out what a finished drag changes. `absolutePositionOf` returns a node's position
 * after the drag in flow coordinates, and a dragged layer joins the group whose frame
 * (as it was before the drag) contains its center.
 */
export function resolveDrag(
  graph: ProjectGraph,
  absolutePositionOf: (nodeId: string) => FlowPoint | undefined,
  draggedIds: readonly string[],
  sizeOf: (nodeId: string) => FlowSize,
): DragResult {
  const absolutePositions = new Map<string, FlowPoint>();
  for (const node of graph.nodes) {
    const position = absolutePositionOf(node.id);
    if (position !== undefined) absolutePositions.set(node.id, { x: position.x, y: position.y });
  }
  const frames = groupFrames(graph, sizeOf);
  const parents = new Map<string, string | null>();
  let label = 'Move';
  for (const id of draggedIds) {
    const node = graph.nodes.find((candidate) => candidate.id === id);
    const position = absolutePositions.get(id);
    if (node === undefined || position === undefined || !canJoinGroup(node)) continue;
    const parentId = groupAt(centerOf(position, sizeOf(id)), frames);
    parents.set(id, parentId);
    if (label === 'Move' && parentId !== (node.parentId ?? null)) {
      label = parentId === null ? `Move ${id} out of ${node.parentId}` : `Move ${id} into ${parentId}`;
    }
  }
  return { positions: absolutePositions, parents, label };
}
