/**
 * An in-process mesh of transports, one per rank, for tests and single-process runs.
 * Every message is copied on send and delivered in a later microtask, so no buffer is
 * shared between ranks and no receive resolves inside the send that feeds it, as over
 * a real MessagePort.
 */

import { MessageInbox, validatePayload, validatePeer, validateTag, type Transport } from './transport';

export class MemoryTransport implements Transport {
  readonly inbox = new MessageInbox();
  private peers: readonly MemoryTransport[] = [];

  constructor(
    readonly rank: number,
    readonly worldSize: number,
  ) {}

  /** Links this transport to every rank of its mesh; called once by `createMemoryMesh`. */
  connect(peers: readonly MemoryTransport[]): void {
    this.peers = peers;
  }

  send(peer: number, tag: string, data: Float32Array): void {
    validatePeer(this, peer, 'send to');
    validateTag(this.rank, tag);
    validatePayload(this.rank, peer, tag, data);

    const target = this.peers[peer];
    const copy = data.slice();
    const from = this.rank;
    queueMicrotask(() => target.inbox.deliver(from, tag, copy));
  }

  receive(peer: number, tag: string): Promise<Float32Array> {
    validatePeer(this, peer, 'receive from');
    validateTag(this.rank, tag);
    return this.inbox.take(peer, tag);
  }
}

/** Creates `worldSize` connected transports; element i is rank i. */
export function createMemoryMesh(worldSize: number): MemoryTransport[] {
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new Error(`Invalid world size ${worldSize} for a memory mesh: use a positive integer number of devices.`);
  }
  const transports: MemoryTransport[] = [];
  for (let rank = 0; rank < worldSize; rank++) transports.push(new MemoryTransport(rank, worldSize));
  for (const transport of transports) transport.connect(transports);
  return transports;
}
