/** Why a connection the user dragged on the canvas cannot be made, in words for the user. */

export type HandleKind = 'source' | 'target';

export interface HandleEnd {
  nodeId: string;
  port: string;
  /** `source` for an output port, `target` for an input port. */
  kind: HandleKind;
}

function describe(end: HandleEnd): string {
  return `${end.kind === 'source' ? 'output' : 'input'} "${end.port}" of ${end.nodeId}`;
}

/** Returns the reason a connection between two handles is rejected, or null when it is allowed. */
export function connectionRejection(from: HandleEnd, to: HandleEnd): string | null {
  if (from.nodeId === to.nodeId) {
    return `Cannot connect ${from.nodeId} to itself: connect its output to the input of another node.`;
  }
  if (from.kind === to.kind) {
    const what = from.kind === 'source' ? 'two outputs' : 'two inputs';
    return `Cannot connect ${what} (${describe(from)} and ${describe(to)}): drag from an output on the right of a node to an input on the left of another.`;
  }
  return null;
}
