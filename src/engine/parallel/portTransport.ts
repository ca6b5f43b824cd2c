/**
 * A transport over one MessagePort per peer. The same class works with a Node
 * `worker_threads` MessagePort, an Electron `MessagePortMain` and a browser
 * `MessagePort`: it listens through whichever of `on`, `addEventListener` or
 * `onmessage` the port has, and unwraps the `{ data }` event object that Electron
 * and the browser deliver where Node delivers the value itself.
 */

import { MessageInbox, validatePayload, validatePeer, validateTag, type Transport } from './transport';

type PortListener = (value: unknown) => void;
type PortEvent = 'message' | 'messageerror' | 'close';

/**
 * The part of a MessagePort that the transport uses. Each runtime has a different
 * subset of the listener methods, so all of them are optional.
 */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  /** Node and Electron (EventEmitter style). */
  on?(event: PortEvent, listener: PortListener): unknown;
  off?(event: PortEvent, listener: PortListener): unknown;
  removeListener?(event: PortEvent, listener: PortListener): unknown;
  /** Browser (EventTarget style). */
  addEventListener?(type: PortEvent, listener: PortListener): void;
  removeEventListener?(type: PortEvent, listener: PortListener): void;
  onmessage?: { bivariantListener(event: unknown): void }['bivariantListener'] | null;
  /** Electron and the browser queue messages until a port is started. */
  start?(): void;
  close?(): void;
}

const ENVELOPE_KIND = 'tensorloom.collective';

/** Message sent over a port: the payload, its tag and the sender's rank. */
interface CollectiveEnvelope {
  kind: typeof ENVELOPE_KIND;
  from: number;
  tag: string;
  data: Float32Array;
}

export interface PortTransportOptions {
  /**
   * Maximum time in ms that a receive waits before it rejects; unset waits forever.
   * A port does not report that its peer closed if the peer closed it before this
   * transport attached its listeners, so without a timeout such a receive never ends.
   */
  receiveTimeoutMs?: number;
}

export class PortTransport implements Transport {
  readonly worldSize: number;
  private readonly inbox = new MessageInbox();
  private readonly detachers: Array<() => void> = [];
  private readonly receiveTimeoutMs: number | undefined;
  private closed = false;

  /**
   * Takes ownership of `ports`: `ports[peer]` is the port to rank `peer`, and the
   * entry at this transport's own rank is null. A missing port means this rank
   * cannot exchange messages with that peer. `close()` closes every port.
   */
  constructor(
    readonly rank: number,
    private readonly ports: ReadonlyArray<MessagePortLike | null | undefined>,
    options: PortTransportOptions = {},
  ) {
    this.worldSize = ports.length;
    const { receiveTimeoutMs } = options;
    if (receiveTimeoutMs !== undefined && (!Number.isFinite(receiveTimeoutMs) || receiveTimeoutMs <= 0)) {
      throw new Error(`Invalid receiveTimeoutMs ${receiveTimeoutMs}: use a positive number of milliseconds, or leave it unset to wait forever.`);
    }
    this.receiveTimeoutMs = receiveTimeoutMs;
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize) {
      throw new Error(
        `Invalid rank ${rank} for a port transport with ${this.worldSize} port slots: the rank must index the ports list.`,
      );
    }
    if (ports[rank] !== null && ports[rank] !== undefined) {
      throw new Error(`Port transport for rank ${rank} got a port to itself: leave ports[${rank}] null.`);
    }

    ports.forEach((port, peer) => {
      if (port !== null && port !== undefined) this.detachers.push(this.listen(peer, port));
    });
  }

  send(peer: number, tag: string, data: Float32Array): void {
    validatePeer(this, peer, 'send to');
    validateTag(this.rank, tag);
    validatePayload(this.rank, peer, tag, data);
    if (this.closed) {
      throw new Error(`Rank ${this.rank} cannot send '${tag}' to rank ${peer}: its port transport is closed.`);
    }
    const port = this.portTo(peer);

    // Structured clone (HTML structured serialization) copies the whole ArrayBuffer behind a view and shares a
    // SharedArrayBuffer, so anything but a plain, whole buffer is copied first.
    // NOTE: the payload is cloned rather than transferred because Electron's
    // MessagePortMain accepts only ports in its transfer list.
    const ownsWholeBuffer =
      data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const payload = ownsWholeBuffer ? data : data.slice();
    const envelope: CollectiveEnvelope = { kind: ENVELOPE_KIND, from: this.rank, tag, data: payload };
    port.postMessage(envelope);
  }

  receive(peer: number, tag: string): Promise<Float32Array> {
    validatePeer(this, peer, 'receive from');
    validateTag(this.rank, tag);
    this.portTo(peer);
    const timeoutError = (): Error =>
      new Error(
        `Rank ${this.rank} timed out after ${this.receiveTimeoutMs} ms waiting for '${tag}' from rank ${peer}: check that rank ${peer} is still running and calls the same collectives.`,
      );
    return this.inbox.take(peer, tag, this.receiveTimeoutMs, timeoutError);
  }

  /** Detaches the listeners, closes every port and rejects receives that are still waiting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const detach of this.detachers.splice(0)) detach();
    this.ports.forEach((port, peer) => {
      if (port === null || port === undefined) return;
      port.close?.();
      this.inbox.closePeer(peer, new Error(`Rank ${this.rank} closed its port transport before a message from rank ${peer} arrived.`));
    });
  }

  private portTo(peer: number): MessagePortLike {
    const port = this.ports[peer];
    if (port === null || port === undefined) {
      throw new Error(`Rank ${this.rank} has no port to rank ${peer}: connect every pair of ranks that share a process group.`);
    }
    return port;
  }

  /** Attaches the message and close listeners for one peer's port and returns a function that removes them. */
  private listen(peer: number, port: MessagePortLike): () => void {
    const onMessage: PortListener = (value) => this.handleMessage(peer, value);
    const onMessageError: PortListener = () => {
      this.inbox.closePeer(peer, new Error(`Rank ${this.rank} could not deserialize a message from rank ${peer}.`));
    };
    const onClose: PortListener = () => {
      this.inbox.closePeer(peer, new Error(`The port between rank ${this.rank} and rank ${peer} closed, so no more messages can arrive from rank ${peer}.`));
    };

    if (port.on !== undefined) {
      port.on('message', onMessage);
      port.on('messageerror', onMessageError);
      port.on('close', onClose);
      port.start?.();
      return () => {
        const remove = port.off?.bind(port) ?? port.removeListener?.bind(port);
        remove?.('message', onMessage);
        remove?.('messageerror', onMessageError);
        remove?.('close', onClose);
      };
    }

    if (port.addEventListener !== undefined) {
      port.addEventListener('message', onMessage);
      port.addEventListener('messageerror', onMessageError);
      port.addEventListener('close', onClose);
      port.start?.();
      return () => {
        port.removeEventListener?.('message', onMessage);
        port.removeEventListener?.('messageerror', onMessageError);
        port.removeEventListener?.('close', onClose);
      };
    }

    // Assigning onmessage starts a browser port implicitly.
    port.onmessage = onMessage;
    return () => {
      port.onmessage = null;
    };
  }

  private handleMessage(peer: number, value: unknown): void {
    const envelope = unwrapEnvelope(value);
    if (envelope === null) {
      this.inbox.closePeer(
        peer,
        new Error(
          `Rank ${this.rank} got a message from rank ${peer} that is not a collective message: a port given to PortTransport must carry only its messages.`,
        ),
      );
      return;
    }
    if (envelope.from !== peer) {
      this.inbox.closePeer(
        peer,
        new Error(
          `Rank ${this.rank} got a message from rank ${envelope.from} on the port for rank ${peer}: ports[i] must connect to rank i.`,
        ),
      );
      return;
    }
    this.inbox.deliver(peer, envelope.tag, envelope.data);
  }
}

/** Returns the envelope in a Node message value or in the `data` of an Electron or browser message event. */
function unwrapEnvelope(value: unknown): CollectiveEnvelope | null {
  if (isEnvelope(value)) return value;
  if (typeof value === 'object' && value !== null && 'data' in value && isEnvelope(value.data)) return value.data;
  return null;
}

function isEnvelope(value: unknown): value is CollectiveEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<CollectiveEnvelope>;
  return (
    candidate.kind === ENVELOPE_KIND &&
    typeof candidate.from === 'number' &&
    typeof candidate.tag === 'string' &&
    candidate.data instanceof Float32Array
  );
}
