/** Which nodes and edges are selected on the canvas. The inspector and the activation view follow it. */

import { defineContext } from '../lib/context';

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

export class SelectionStore {
  nodeIds = $state.raw<readonly string[]>([]);
  edgeIds = $state.raw<readonly string[]>([]);

  /** The one selected node, or null when none or several are selected. */
  readonly singleNodeId = $derived(this.nodeIds.length === 1 ? this.nodeIds[0] : null);
  readonly isEmpty = $derived(this.nodeIds.length === 0 && this.edgeIds.length === 0);

  /** Sets the selection; keeps the old arrays when nothing changed so dependents do not rerun. */
  set(nodeIds: readonly string[], edgeIds: readonly string[]): void {
    if (!sameIds(this.nodeIds, nodeIds)) this.nodeIds = nodeIds;
    if (!sameIds(this.edgeIds, edgeIds)) this.edgeIds = edgeIds;
  }

  selectNode(nodeId: string): void {
    this.set([nodeId], []);
  }

  clear(): void {
    this.set([], []);
  }

  /** Drops ids that no longer exist after an edit, an undo or an open. */
  retain(existingNodeIds: ReadonlySet<string>, existingEdgeIds: ReadonlySet<string>): void {
    this.set(
      this.nodeIds.filter((id) => existingNodeIds.has(id)),
      this.edgeIds.filter((id) => existingEdgeIds.has(id)),
    );
  }
}

export const selectionContext = defineContext<SelectionStore>('SelectionStore');
