import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { allGather, allReduce } from '../../src/engine/parallel/collectives';
import { createWorldGroup } from '../../src/engine/parallel/group';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import { PortTransport, type MessagePortLike } from '../../src/engine/parallel/portTransport';
import { bitIdentical, maxRelativeError, randomValues, serialSum } from './helpers';

describe('memory mesh transport', () => {
  it('delivers messages of one tag in send order', async () => {
    const [a, b] = createMemoryMesh(2);
    a.send(1, 'x', Float32Array.of(1));
    a.send(1, 'x', Float32Array.of(2));

    expect(Array.from(await b.receive(0, 'x'))).toEqual([1]);
    expect(Array.from(await b.receive(0, 'x'))).toEqual([2]);
  });

  it('resolves a receive posted before the send', async () => {
    const [a, b] = createMemoryMesh(2);
    const pending = b.receive(0, 'x');
    a.send(1, 'x', Float32Array.of(7));
    expect(Array.from(await pending)).toEqual([7]);
  });

  it('keeps tags apart', async () => {
    const [a, b] = createMemoryMesh(2);
    a.send(1, 'first', Float32Array.of(1));
    a.send(1, 'second', Float32Array.of(2));

    expect(Array.from(await b.receive(0, 'second'))).toEqual([2]);
    expect(Array.from(await b.receive(0, 'first'))).toEqual([1]);
  });

  it('delivers asynchronously, never inside send', async () => {
    const [a, b] = createMemoryMesh(2);
    let delivered = false;
    const pending = b.receive(0, 'x').then(() => {
      delivered = true;
    });
    a.send(1, 'x', Float32Array.of(1));
    expect(delivered).toBe(false);
    await pending;
    expect(delivered).toBe(true);
  });

  it('copies payloads instead of sharing buffers', async () => {
    const [a, b] = createMemoryMesh(2);
    const source = Float32Array.of(1, 2, 3);
    a.send(1, 'x', source);
    source[0] = 99;

    const received = await b.receive(0, 'x');
    expect(Array.from(received)).toEqual([1, 2, 3]);
    expect(received.buffer).not.toBe(source.buffer);
  });

  it('rejects invalid peers, tags and payloads', () => {
    const [a] = createMemoryMesh(2);
    expect(() => a.send(2, 'x', Float32Array.of(1))).toThrow('Rank 0 cannot send to peer 2: a peer must be an integer rank from 0 to 1.');
    expect(() => a.send(0, 'x', Float32Array.of(1))).toThrow('Rank 0 cannot send to itself: pass another rank as the peer.');
    expect(() => a.send(1, '', Float32Array.of(1))).toThrow('Rank 0 got an empty or non-string message tag');
    // @ts-expect-error: a plain array, as an untyped caller could pass.
    expect(() => a.send(1, 'x', [1])).toThrow("Rank 0 cannot send to rank 1 under tag 'x': the payload must be a Float32Array.");
    expect(() => a.receive(-1, 'x')).toThrow('Rank 0 cannot receive from peer -1');
  });

  it('rejects a world size that is not a positive integer', () => {
    expect(() => createMemoryMesh(0)).toThrow('Invalid world size 0 for a memory mesh: use a positive integer number of devices.');
  });
});

/** Wraps a Node port to behave like Electron's MessagePortMain: EventEmitter listeners, `{ data }` events, queued until start(). */
function electronStylePort(port: MessagePort): MessagePortLike {
  const listeners = new Map<string, Set<(value: unknown) => void>>();
  const queued: unknown[] = [];
  let started = false;
  const emit = (event: string, value?: unknown): void => listeners.get(event)?.forEach((listener) => listener(value));
  port.on('message', (value: unknown) => {
    if (started) emit('message', { data: value, ports: [] });
    else queued.push(value);
  });
  port.on('close', () => emit('close'));
  return {
    postMessage: (message) => port.postMessage(message),
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
    },
    start() {
      started = true;
      for (const value of queued.splice(0)) emit('message', { data: value, ports: [] });
    },
    close: () => port.close(),
  };
}

/** Wraps a Node port to offer only the browser MessagePort's addEventListener interface. */
function browserStylePort(port: MessagePort): MessagePortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    addEventListener: (type, listener) => port.addEventListener(type, listener as (event: Event) => void),
    removeEventListener: (type, listener) => port.removeEventListener(type, listener as (event: Event) => void),
    start: () => port.start(),
    close: () => port.close(),
  };
}

/** Wraps a Node port to offer only the `onmessage` property, which starts the port when set. */
function onMessageOnlyPort(port: MessagePort): MessagePortLike {
  // Node's MessagePort has the DOM `onmessage` property, but @types/node 20 does not declare it.
  const eventTargetPort = port as unknown as { onmessage: ((event: unknown) => void) | null };
  const wrapper: MessagePortLike = {
    postMessage: (message) => port.postMessage(message),
    close: () => port.close(),
  };
  Object.defineProperty(wrapper, 'onmessage', {
    get: () => eventTargetPort.onmessage,
    set: (listener: ((event: unknown) => void) | null) => {
      eventTargetPort.onmessage = listener;
    },
  });
  return wrapper;
}

const openPorts: MessagePort[] = [];

afterEach(() => {
  for (const port of openPorts.splice(0)) port.close();
});

/** Connects every pair of `worldSize` ranks with a MessageChannel and returns each rank's ports list. */
function connectFullMesh(worldSize: number, wrap: (port: MessagePort) => MessagePortLike): Array<Array<MessagePortLike | null>> {
  const ports: Array<Array<MessagePortLike | null>> = Array.from({ length: worldSize }, () => new Array(worldSize).fill(null));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const channel = new MessageChannel();
      openPorts.push(channel.port1, channel.port2);
      ports[a][b] = wrap(channel.port1);
      ports[b][a] = wrap(channel.port2);
    }
  }
  return ports;
}

describe.each([
  ['Node', (port: MessagePort): MessagePortLike => port],
  ['Electron-style', electronStylePort],
  ['browser-style', browserStylePort],
  ['onmessage-only', onMessageOnlyPort],
])('PortTransport over %s ports', (_runtime, wrap) => {
  it('runs allReduce and allGather on 3 ranks', async () => {
    const worldSize = 3;
    const ports = connectFullMesh(worldSize, wrap);
    const transports = ports.map((rankPorts, rank) => new PortTransport(rank, rankPorts));
    const inputs = [0, 1, 2].map((rank) => randomValues(50 + rank, 11));

    const results = await Promise.all(
      transports.map(async (transport) => {
        const group = createWorldGroup(transport);
        const summed = await allReduce(group, inputs[transport.rank]);
        const gathered = await allGather(group, inputs[transport.rank]);
        return { summed, gathered };
      }),
    );
    for (const transport of transports) transport.close();

    const expectedGather = Float32Array.from(inputs.flatMap((input) => Array.from(input)));
    for (const { summed, gathered } of results) {
      expect(maxRelativeError(summed, serialSum(inputs))).toBeLessThan(1e-6);
      expect(bitIdentical(summed, results[0].summed)).toBe(true);
      expect(bitIdentical(gathered, expectedGather)).toBe(true);
    }
  });
});

describe('PortTransport', () => {
  it('sends only the elements of a subarray view', async () => {
    const [ports0, ports1] = connectFullMesh(2, (port) => port);
    const sender = new PortTransport(0, ports0);
    const receiver = new PortTransport(1, ports1);

    const whole = Float32Array.of(1, 2, 3, 4, 5, 6);
    sender.send(1, 'view', whole.subarray(2, 4));
    const received = await receiver.receive(0, 'view');

    expect(Array.from(received)).toEqual([3, 4]);
    expect(received.buffer.byteLength).toBe(8);
    sender.close();
    receiver.close();
  });

  it('rejects a receive when a foreign message arrives', async () => {
    const channel = new MessageChannel();
    openPorts.push(channel.port1, channel.port2);
    const transport = new PortTransport(1, [channel.port2, null]);

    const pending = transport.receive(0, 'x');
    channel.port1.postMessage({ hello: 'world' });
    await expect(pending).rejects.toThrow(
      'Rank 1 got a message from rank 0 that is not a collective message: a port given to PortTransport must carry only its messages.',
    );
    transport.close();
  });

  it('rejects a message from a rank other than the port peer', async () => {
    // Rank 2 is wired into slot 0 of rank 1 by mistake.
    const channel = new MessageChannel();
    openPorts.push(channel.port1, channel.port2);
    const wrongSender = new PortTransport(2, [null, channel.port1, null]);
    const receiver = new PortTransport(1, [channel.port2, null, null]);

    const pending = receiver.receive(0, 'x');
    wrongSender.send(1, 'x', Float32Array.of(1));
    await expect(pending).rejects.toThrow('Rank 1 got a message from rank 2 on the port for rank 0: ports[i] must connect to rank i.');
    wrongSender.close();
    receiver.close();
  });

  it('rejects waiting receives when the peer closes its port', async () => {
    const [ports0, ports1] = connectFullMesh(2, (port) => port);
    const leaving = new PortTransport(0, ports0);
    const waiting = new PortTransport(1, ports1);

    const pending = waiting.receive(0, 'never-sent');
    leaving.close();
    await expect(pending).rejects.toThrow('The port between rank 1 and rank 0 closed, so no more messages can arrive from rank 0.');
    waiting.close();
  });

  it('rejects waiting receives and later sends after close', async () => {
    const [ports0] = connectFullMesh(2, (port) => port);
    const transport = new PortTransport(0, ports0);

    const pending = transport.receive(1, 'x');
    transport.close();
    await expect(pending).rejects.toThrow('Rank 0 closed its port transport before a message from rank 1 arrived.');
    expect(() => transport.send(1, 'x', Float32Array.of(1))).toThrow("Rank 0 cannot send 'x' to rank 1: its port transport is closed.");
  });

  it('times out a receive whose peer closed before the transport listened', async () => {
    // A port closed by its peer before anyone listened never emits 'close'.
    const channel = new MessageChannel();
    openPorts.push(channel.port1, channel.port2);
    channel.port1.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const transport = new PortTransport(1, [channel.port2, null], { receiveTimeoutMs: 50 });

    await expect(transport.receive(0, 'x')).rejects.toThrow(
      "Rank 1 timed out after 50 ms waiting for 'x' from rank 0: check that rank 0 is still running and calls the same collectives.",
    );
    transport.close();
  });

  it('keeps a message that arrives after a timed-out receive for the next one', async () => {
    const [ports0, ports1] = connectFullMesh(2, (port) => port);
    const sender = new PortTransport(0, ports0);
    const receiver = new PortTransport(1, ports1, { receiveTimeoutMs: 20 });

    await expect(receiver.receive(0, 'late')).rejects.toThrow('timed out after 20 ms');
    sender.send(1, 'late', Float32Array.of(5));
    expect(Array.from(await receiver.receive(0, 'late'))).toEqual([5]);
    sender.close();
    receiver.close();
  });

  it('rejects a receive timeout that is not a positive number', () => {
    expect(() => new PortTransport(0, [null, null], { receiveTimeoutMs: 0 })).toThrow(
      'Invalid receiveTimeoutMs 0: use a positive number of milliseconds, or leave it unset to wait forever.',
    );
  });

  it('rejects a missing port with the peer it needs', () => {
    const transport = new PortTransport(0, [null, null]);
    expect(() => transport.send(1, 'x', Float32Array.of(1))).toThrow(
      'Rank 0 has no port to rank 1: connect every pair of ranks that share a process group.',
    );
  });

  it('rejects a rank outside the ports list and a port to itself', () => {
    const channel = new MessageChannel();
    openPorts.push(channel.port1, channel.port2);
    expect(() => new PortTransport(2, [null, null])).toThrow('Invalid rank 2 for a port transport with 2 port slots');
    expect(() => new PortTransport(0, [channel.port1, null])).toThrow('Port transport for rank 0 got a port to itself: leave ports[0] null.');
  });
});
