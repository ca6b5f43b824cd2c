/** Cycle finding for graph validation: names the nodes on each cycle so the user can break it. */

import type { GraphEdge } from '../../shared/project';

/**
 * Returns one cycle per strongly connected component among `nodeIds` that has a
 * cycle, as node ids in edge order without repeating the first. Each cycle starts
 * at the component's first node in `nodeIds` order and is a shortest way back to it.
 */
export function findCycles(nodeIds: readonly string[], outgoing: ReadonlyMap<string, readonly GraphEdge[]>): string[][] {
  const members = new Set(nodeIds);
  const components = stronglyConnectedComponents(nodeIds, members, outgoing);
  const position = new Map(nodeIds.map((id, index) => [id, index]));

  const cycles: string[][] = [];
  for (const component of components) {
    const inside = new Set(component);
    const start = component.reduce((best, id) => (position.get(id)! < position.get(best)! ? id : best));
    const cycle = shortestCycleThrough(start, inside, outgoing);
    if (cycle !== null) cycles.push(cycle);
  }
  cycles.sort((a, b) => position.get(a[0])! - position.get(b[0])!);
  return cycles;
}

/** Tarjan's algorithm, iterative so a long chain cannot overflow the call stack. */
function stronglyConnectedComponents(
  nodeIds: readonly string[],
  members: ReadonlySet<string>,
  outgoing: ReadonlyMap<string, readonly GraphEdge[]>,
): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const successors = (id: string): string[] =>
    (outgoing.get(id) ?? []).map((edge) => edge.target).filter((target) => members.has(target));

  for (const root of nodeIds) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; next: number; targets: string[] }> = [];
    const visit = (id: string): void => {
      index.set(id, counter);
      lowLink.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: 0, targets: successors(id) });
    };
    visit(root);

    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.next < frame.targets.length) {
        const target = frame.targets[frame.next++];
        if (!index.has(target)) visit(target);
        else if (onStack.has(target)) lowLink.set(frame.id, Math.min(lowLink.get(frame.id)!, index.get(target)!));
        continue;
      }

      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        lowLink.set(parent, Math.min(lowLink.get(parent)!, lowLink.get(frame.id)!));
      }
      if (lowLink.get(frame.id) !== index.get(frame.id)) continue;

      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.id);
      components.push(component);
    }
  }
  return components;
}

/** Finds a shortest path from `start` back to itself within `inside` by breadth-first search, or returns null when there is none. */
function shortestCycleThrough(
  start: string,
  inside: ReadonlySet<string>,
  outgoing: ReadonlyMap<string, readonly GraphEdge[]>,
): string[] | null {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const edge of outgoing.get(id) ?? []) {
      if (!inside.has(edge.target)) continue;
      if (edge.target === start) {
        const cycle = [id];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0])!);
        return cycle;
      }
      if (cameFrom.has(edge.target)) continue;
      cameFrom.set(edge.target, id);
      queue.push(edge.target);
    }
  }
  return null;
}
