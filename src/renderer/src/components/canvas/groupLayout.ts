/**
 * Geometry of tensor-parallel groups on the canvas. The project file stores every
 * node's position in absolute flow coordinates, while Svelte Flow places a child
 * relative to its parent node. A group's frame is the padded bounding box of its
 * children, so it always encloses them; an empty group keeps its own position and
 * a minimum size.
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
const EMPTY_GROUP_SIZE: FlowSize = { width: 420, height: 220 };
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
    const children = graph.nodes.filter((node) => node.parentId === group.id);
    if (children.length === 0) {
      frames.set(group.id, { ...group.position, ...EMPTY_GROUP_SIZE });
      continue;
    }
    let left = Infinity;
    let top = Infinity;
    let right = -Infinity;
    let bottom = -Infinity;
    for (const child of children) {
      const size = sizeOf(child.id);
      left = Math.min(left, child.position.x);
      top = Math.min(top, child.position.y);
      right = Math.max(right, child.position.x + size.width);
      bottom = Math.max(bottom, child.position.y + size.height);
    }
    frames.set(group.id, {
      x: left - FRAME_PADDING,
      y: top - FRAME_PADDING - FRAME_HEADER,
      width: right - left + 2 * FRAME_PADDING,
      height: bottom - top + 2 * FRAME_PADDING + FRAME_HEADER,
    });
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
