/**
 * The point-to-point layer under the collectives. A transport connects one rank
 * to the other ranks of its world and moves Float32Array payloads labelled with
 * a tag. Collectives need nothing else, so they run unchanged over an in-process
 * mesh in tests and over MessagePorts between device processes.
 */

export interface Transport {
  /** This device's index in the world, from 0 to `worldSize - 1`. */
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Sends a copy of `data` to `peer` under `tag` without waiting for delivery. The
   * caller may reuse `data` as soon as the call returns.
   */
  send(peer: number, tag: string, data: Float32Array): void;
  /**
   * Resolves with the next message from `peer` under `tag`. Messages from one peer
   * under one tag arrive in the order they were sent, and a message that arrives
   * before its receive is posted waits in a queue. The resolved array belongs to
   * the caller, which may modify it.
   */
  receive(peer: number, tag: string): Promise<Float32Array>;
}

/** Rejects a peer rank that is not an integer in the world or that is the transport's own rank. */
export function validatePeer(transport: Pick<Transport, 'rank' | 'worldSize'>, peer: number, action: string): void {
  if (!Number.isInteger(peer) || peer < 0 || peer >= transport.worldSize) {
    throw new Error(
      `Rank ${transport.rank} cannot ${action} peer ${peer}: a peer must be an integer rank from 0 to ${transport.worldSize - 1}.`,
    );
  }
  if (peer === transport.rank) {
    throw new Error(`Rank ${transport.rank} cannot ${action} itself: pass another rank as the peer.`);
  }
}

export function validateTag(rank: number, tag: string): void {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw new Error(`Rank ${rank} got an empty or non-string message tag: every message needs a non-empty tag.`);
  }
}

export function validatePayload(rank: number, peer: number, tag: string, data: unknown): asserts data is Float32Array {
  if (!(data instanceof Float32Array)) {
    throw new Error(`Rank ${rank} cannot send to rank ${peer} under tag '${tag}': the payload must be a Float32Array.`);
  }
}

interface PendingReceive {
  resolve(data: Float32Array): void;
  reject(error: Error): void;
}

/** Messages and waiting receives for one (peer, tag) pair; at most one of the two lists is non-empty. */
interface Mailbox {
  messages: Float32Array[];
  receivers: PendingReceive[];
}

/**
 * Matches arriving messages with posted receives, per peer and tag, in arrival order.
 * Both transports deliver into one inbox per rank. A peer can be closed with an error,
 * which rejects its waiting receives and every later one.
 */
export class MessageInbox {
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly closedPeers = new Map<number, Error>();

  deliver(peer: number, tag: string, data: Float32Array): void {
    const key = mailboxKey(peer, tag);
    const mailbox = this.mailboxes.get(key);
    const receiver = mailbox?.receivers.shift();
    if (receiver !== undefined) {
      this.dropIfEmpty(key);
      receiver.resolve(data);
      return;
    }
    if (mailbox === undefined) {
      this.mailboxes.set(key, { messages: [data], receivers: [] });
    } else {
      mailbox.messages.push(data);
    }
  }

  /**
   * Resolves with the next message from `peer` under `tag`. With `timeoutMs`, rejects
   * with `timeoutError()` if nothing arrives in time, and a later message stays queued
   * for the next receive.
   */
  take(peer: number, tag: string, timeoutMs?: number, timeoutError?: () => Error): Promise<Float32Array> {
    const key = mailboxKey(peer, tag);
    const mailbox = this.mailboxes.get(key);
    const message = mailbox?.messages.shift();
    if (message !== undefined) {
      this.dropIfEmpty(key);
      return Promise.resolve(message);
    }

    const closedError = this.closedPeers.get(peer);
    if (closedError !== undefined) return Promise.reject(closedError);

    return new Promise<Float32Array>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const receiver: PendingReceive = {
        resolve: (data) => {
          clearTimeout(timer);
          resolve(data);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (mailbox === undefined) {
        this.mailboxes.set(key, { messages: [], receivers: [receiver] });
      } else {
        mailbox.receivers.push(receiver);
      }

      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const waiting = this.mailboxes.get(key)?.receivers;
          const index = waiting?.indexOf(receiver) ?? -1;
          if (index < 0) return;
          waiting?.splice(index, 1);
          this.dropIfEmpty(key);
          reject(timeoutError?.() ?? new Error(`Timed out after ${timeoutMs} ms waiting for '${tag}' from rank ${peer}.`));
        }, timeoutMs);
      }
    });
  }

  /** Rejects the waiting and future receives from `peer` with `error`. Queued messages stay readable. */
  closePeer(peer: number, error: Error): void {
    if (this.closedPeers.has(peer)) return;
    this.closedPeers.set(peer, error);
    const prefix = `${peer}\u0000`;
    for (const [key, mailbox] of this.mailboxes) {
      if (!key.startsWith(prefix)) continue;
      const receivers = mailbox.receivers.splice(0);
      this.dropIfEmpty(key);
      for (const receiver of receivers) receiver.reject(error);
    }
  }

  /** Number of (peer, tag) pairs with queued messages or waiting receives, to check that nothing is left over. */
  get openMailboxCount(): number {
    return this.mailboxes.size;
  }

  private dropIfEmpty(key: string): void {
    const mailbox = this.mailboxes.get(key);
    if (mailbox !== undefined && mailbox.messages.length === 0 && mailbox.receivers.length === 0) {
      this.mailboxes.delete(key);
    }
  }
}

function mailboxKey(peer: number, tag: string): string {
  // NUL cannot appear in a decimal rank, so the key splits unambiguously.
  return `${peer}\u0000${tag}`;
}
