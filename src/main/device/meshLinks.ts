/**
 * The device side of the mesh. It connects this device to every other device of a
 * parallel run, over Unix domain sockets under Node or over the MessagePorts that
 * main transferred under Electron. The transport the executor uses gets a receive timeout.
 */

import type { ParallelDeviceSettings } from '../../shared/device';
import { PortTransport, type MessagePortLike } from '../../engine/parallel/portTransport';
import type { Transport } from '../../engine/parallel/transport';
import { connectSocketMesh } from '../devices/socketTransport';

/** A transport whose receive takes its own time limit; null waits until the peer's link closes. */
export interface ReceiveTransport extends Transport {
  receive(peer: number, tag: string, timeoutMs?: number | null): Promise<Float32Array>;
}

export interface MeshLinks {
  /** Receives wait without a time limit unless the caller gives one. */
  control: ReceiveTransport;
  /** Every receive fails after the run's receive timeout, naming the peer. */
  tensors: Transport;
  close(): void;
}

/** Maximum time to connect every pair of devices. */
const CONNECT_TIMEOUT_MS = 20_000;

/**
 * Connects the mesh of `settings` for device `rank`. Under Electron, `ports` resolves
 * with the ports of the `mesh-ports` message, one per peer in the order of `peers`.
 */
export async function connectMeshLinks(
  rank: number,
  settings: ParallelDeviceSettings,
  ports: () => Promise<{ peers: number[]; ports: MessagePortLike[] }>,
): Promise<MeshLinks> {
  let control: ReceiveTransport;
  let close: () => void;
  if (settings.mesh.kind === 'unix-sockets') {
    const transport = await connectSocketMesh({ rank, worldSize: settings.worldSize, directory: settings.mesh.directory, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    control = transport;
    close = () => transport.close();
  } else {
    const received = await ports();
    const byPeer: Array<MessagePortLike | null> = Array.from({ length: settings.worldSize }, () => null);
    received.peers.forEach((peer, index) => {
      byPeer[peer] = received.ports[index];
    });
    const transport = new PortTransport(rank, byPeer);
    control = {
      rank,
      worldSize: transport.worldSize,
      send: (peer, tag, data) => transport.send(peer, tag, data),
      receive: (peer, tag, timeoutMs) => withTimeout(transport.receive(peer, tag), rank, peer, tag, timeoutMs ?? undefined),
    };
    close = () => transport.close();
  }
  const tensors: Transport = {
    rank,
    worldSize: settings.worldSize,
    send: (peer, tag, data) => control.send(peer, tag, data),
    receive: (peer, tag) => control.receive(peer, tag, settings.receiveTimeoutMs),
  };
  return { control, tensors, close };
}

function withTimeout(pending: Promise<Float32Array>, rank: number, peer: number, tag: string, timeoutMs: number | undefined): Promise<Float32Array> {
  if (timeoutMs === undefined) return pending;
  return new Promise<Float32Array>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Device ${rank} timed out after ${timeoutMs} ms waiting for '${tag}' from device ${peer}: check that device ${peer} is still running.`));
    }, timeoutMs);
    pending.then(
      (data) => {
        clearTimeout(timer);
        resolve(data);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
