/**
 * A transport between Node device processes over Unix domain sockets, one
 * connected socket per peer. Node child processes cannot receive MessagePorts,
 * so tensors travel as length-prefixed frames:
 *
 *   [u32 frame length] [u16 tag length] [tag, UTF-8] [Float32Array bytes]
 *
 * All integers are little-endian, and the frame length counts everything after
 * itself. A peer first sends one hello frame with the tag `hello` and its rank as
 * the only value, so the listening side learns which rank connected.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageInbox, validatePayload, validatePeer, validateTag, type Transport } from '../../engine/parallel/transport';

const HELLO_TAG = 'hello';
const FRAME_HEADER_BYTES = 6;
/** Time between two attempts to connect to a peer whose socket does not exist yet. */
const CONNECT_RETRY_MS = 25;

export interface SocketTransportOptions {
  /** Maximum wait of a receive in milliseconds; unset waits until the peer's socket closes. */
  receiveTimeoutMs?: number;
}

export class SocketTransport implements Transport {
  readonly worldSize: number;
  private readonly inbox = new MessageInbox();
  private closed = false;

  /** Takes ownership of `sockets`: `sockets[peer]` is connected to rank `peer`, and the entry at this rank is null. */
  constructor(
    readonly rank: number,
    private readonly sockets: ReadonlyArray<Socket | null>,
    private readonly options: SocketTransportOptions = {},
  ) {
    this.worldSize = sockets.length;
    sockets.forEach((socket, peer) => {
      if (socket !== null) this.listen(peer, socket);
    });
  }

  send(peer: number, tag: string, data: Float32Array): void {
    validatePeer(this, peer, 'send to');
    validateTag(this.rank, tag);
    validatePayload(this.rank, peer, tag, data);
    if (this.closed) throw new Error(`Rank ${this.rank} cannot send '${tag}' to rank ${peer}: its socket transport is closed.`);
    this.socketTo(peer).write(encodeFrame(tag, data));
  }

  /** Like `Transport.receive`; `timeoutMs` replaces the transport's receive timeout for this call, and null waits without one. */
  receive(peer: number, tag: string, timeoutMs?: number | null): Promise<Float32Array> {
    validatePeer(this, peer, 'receive from');
    validateTag(this.rank, tag);
    this.socketTo(peer);
    const limitMs = timeoutMs === null ? undefined : (timeoutMs ?? this.options.receiveTimeoutMs);
    const timeoutError = (): Error =>
      new Error(
        `Device ${this.rank} timed out after ${limitMs} ms waiting for '${tag}' from device ${peer}: check that device ${peer} is still running and calls the same collectives.`,
      );
    return this.inbox.take(peer, tag, limitMs, timeoutError);
  }

  /** Closes every socket and rejects the receives still waiting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sockets.forEach((socket, peer) => {
      if (socket === null) return;
      socket.destroy();
      this.inbox.closePeer(peer, new Error(`Device ${this.rank} closed its links before a message from device ${peer} arrived.`));
    });
  }

  private socketTo(peer: number): Socket {
    const socket = this.sockets[peer];
    if (socket === null || socket === undefined) throw new Error(`Device ${this.rank} has no link to device ${peer}.`);
    return socket;
  }

  private listen(peer: number, socket: Socket): void {
    const decoder = new FrameDecoder((tag, data) => this.inbox.deliver(peer, tag, data));
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        this.inbox.closePeer(peer, error instanceof Error ? error : new Error(String(error)));
        socket.destroy();
      }
    });
    const onEnd = (): void => {
      this.inbox.closePeer(peer, new Error(`The link from device ${this.rank} to device ${peer} closed: device ${peer} has stopped or crashed.`));
    };
    socket.on('close', onEnd);
    socket.on('error', onEnd);
    // The mesh setup pauses accepted sockets after their hello frame, so bytes wait in the stream until now.
    socket.resume();
  }
}

/** Encodes one frame: length, tag length, tag and the payload's bytes. */
export function encodeFrame(tag: string, data: Float32Array): Buffer {
  const tagBytes = Buffer.from(tag, 'utf8');
  if (tagBytes.length > 0xffff) throw new Error(`Message tag '${tag.slice(0, 40)}…' is ${tagBytes.length} bytes long; the maximum is 65535.`);
  const frame = Buffer.allocUnsafe(4 + 2 + tagBytes.length + data.byteLength);
  frame.writeUInt32LE(2 + tagBytes.length + data.byteLength, 0);
  frame.writeUInt16LE(tagBytes.length, 4);
  tagBytes.copy(frame, FRAME_HEADER_BYTES);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(frame, FRAME_HEADER_BYTES + tagBytes.length);
  return frame;
}

/** Cuts a byte stream into frames and calls `onFrame` with each tag and a payload the callee owns. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Chunks after `pending`, joined only once the frame they belong to is complete, so a large frame is copied once. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private neededBytes = 4;

  constructor(private readonly onFrame: (tag: string, data: Float32Array) => void) {}

  push(chunk: Buffer): void {
    this.waiting.push(chunk);
    this.waitingBytes += chunk.length;
    if (this.pending.length + this.waitingBytes < this.neededBytes) return;
    this.pending = Buffer.concat([this.pending, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
    this.neededBytes = 4;
    while (this.pending.length >= 4) {
      const frameLength = this.pending.readUInt32LE(0);
      if (this.pending.length < 4 + frameLength) {
        this.neededBytes = 4 + frameLength;
        return;
      }
      const tagLength = this.pending.readUInt16LE(4);
      const payloadBytes = frameLength - 2 - tagLength;
      if (payloadBytes < 0 || payloadBytes % Float32Array.BYTES_PER_ELEMENT !== 0) {
        throw new Error(`Invalid frame: ${frameLength} bytes with a ${tagLength}-byte tag leave ${payloadBytes} payload bytes, not a whole number of float32 values.`);
      }
      const tag = this.pending.toString('utf8', FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + tagLength);
      const payloadStart = FRAME_HEADER_BYTES + tagLength;
      // A copy aligns the floats and lets the receiver own the array.
      const data = new Float32Array(payloadBytes / Float32Array.BYTES_PER_ELEMENT);
      new Uint8Array(data.buffer).set(this.pending.subarray(payloadStart, payloadStart + payloadBytes));
      this.pending = this.pending.subarray(4 + frameLength);
      this.onFrame(tag, data);
    }
  }
}

/** Returns the socket path of device `rank` in a mesh directory. */
export function deviceSocketPath(directory: string, rank: number): string {
  return join(directory, `device-${rank}.sock`);
}

/** Creates a private temporary directory for the sockets of one parallel run. */
export function createMeshDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'tensorloom-mesh-'));
}

export function removeMeshDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

export interface SocketMeshOptions {
  rank: number;
  worldSize: number;
  directory: string;
  /** Maximum time to connect every pair, in milliseconds. */
  connectTimeoutMs: number;
  receiveTimeoutMs?: number;
}

/**
 * Connects this device to every other device of the mesh: it listens on its own
 * socket, connects to each lower rank (retrying until that rank listens) and
 * accepts one connection from each higher rank. Resolves once all peers are linked.
 */
export async function connectSocketMesh(options: SocketMeshOptions): Promise<SocketTransport> {
  const { rank, worldSize, directory, connectTimeoutMs } = options;
  const sockets: Array<Socket | null> = Array.from({ length: worldSize }, () => null);
  const deadline = Date.now() + connectTimeoutMs;

  const server = createServer();
  const accepted = acceptPeers(server, rank, worldSize, sockets);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deviceSocketPath(directory, rank), () => {
      server.off('error', reject);
      resolve();
    });
  });

  try {
    for (let peer = 0; peer < rank; peer++) {
      const socket = await connectWithRetry(deviceSocketPath(directory, peer), deadline, rank, peer);
      socket.write(encodeFrame(HELLO_TAG, Float32Array.of(rank)));
      sockets[peer] = socket;
    }
    await withDeadline(accepted, deadline, () => {
      const missing = sockets.map((socket, peer) => (socket === null && peer !== rank ? peer : -1)).filter((peer) => peer >= 0);
      return new Error(`Device ${rank} timed out after ${connectTimeoutMs} ms waiting for devices ${missing.join(', ')} to connect.`);
    });
  } finally {
    server.close();
  }
  return new SocketTransport(rank, sockets, { receiveTimeoutMs: options.receiveTimeoutMs });
}

/** Resolves once every higher rank has connected and sent its hello frame. */
function acceptPeers(server: Server, rank: number, worldSize: number, sockets: Array<Socket | null>): Promise<void> {
  let waiting = worldSize - 1 - rank;
  return new Promise<void>((resolve, reject) => {
    if (waiting === 0) resolve();
    server.on('connection', (socket) => {
      // Only the hello frame is read here. A frame that arrives with it stays in `rest`.
      let buffered: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32LE(0)) return;
        socket.off('data', onData);
        const helloLength = 4 + buffered.readUInt32LE(0);
        let peer = -1;
        new FrameDecoder((tag, data) => {
          if (tag === HELLO_TAG && data.length === 1) peer = data[0];
        }).push(buffered.subarray(0, helloLength));
        if (!Number.isInteger(peer) || peer <= rank || peer >= worldSize || sockets[peer] !== null) {
          socket.destroy();
          reject(new Error(`Device ${rank} got a connection that is not from a higher device of this run (hello rank ${peer}).`));
          return;
        }
        sockets[peer] = socket;
        const rest = buffered.subarray(helloLength);
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        waiting -= 1;
        if (waiting === 0) resolve();
      };
      socket.on('data', onData);
    });
  });
}

async function connectWithRetry(path: string, deadline: number, rank: number, peer: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = createConnection(path);
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) {
        throw new Error(`Device ${rank} could not connect to device ${peer} at ${path}: ${(error as Error).message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

function withDeadline<T>(promise: Promise<T>, deadline: number, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
