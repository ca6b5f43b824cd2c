/**
 * The device process entry, built to out/main/device.js. It runs as an Electron
 * utility process or a Node child process, receives an `init` message with the
 * project, trains on command, and streams metrics and snapshots. It exits after
 * reporting `error`. After `done` it stays up with the final weights to handle
 * `set-probe` and `generate`, until main sends `shutdown` or disconnects.
 */

import type { DeviceToMainMessage, MainToDeviceMessage } from '../../shared/device';
import type { MessagePortLike } from '../../engine/parallel/portTransport';
import { connectMeshLinks } from './meshLinks';
import { ParallelSession } from './parallelSession';
import { connectToParent } from './parentChannel';
import { errorMessage, TrainingSession } from './session';

const channel = connectToParent();
let session: TrainingSession | ParallelSession | null = null;
/** True while a parallel device connects its mesh and builds its shard, before `session` is set. */
let connecting = false;
/** Electron only: the mesh ports, which arrive in a `mesh-ports` message after `init`. */
let meshPorts: { peers: number[]; ports: MessagePortLike[] } | null = null;
let onMeshPorts: (() => void) | null = null;

function waitForMeshPorts(): Promise<{ peers: number[]; ports: MessagePortLike[] }> {
  return new Promise((resolve) => {
    const deliver = (): void => resolve(meshPorts!);
    if (meshPorts !== null) deliver();
    else onMeshPorts = deliver;
  });
}

/** Connects a parallel device to its peers, builds its shard, and reports ready; a check runs to its end by itself. */
async function startParallel(message: Extract<MainToDeviceMessage, { type: 'init' }>): Promise<void> {
  const parallel = message.settings.parallel!;
  const rank = message.settings.deviceIndex;
  connecting = true;
  const links = await connectMeshLinks(rank, parallel, waitForMeshPorts);
  const created = new ParallelSession(message.project, message.settings, links, (outgoing) => channel.send(outgoing), (final) => {
    links.close();
    finish(final);
  });
  session = created;
  connecting = false;
  log('debug', `run ${message.runId} device ${rank} connected to ${parallel.worldSize - 1} peers under ${channel.runtime}`);
  channel.send(created.readyMessage());
  if (parallel.checkSteps !== undefined) await created.check(parallel.checkSteps);
  else if (rank !== 0) await created.follow();
}
/** True once the run has ended with `done` or `error`. */
let finished = false;
/** True once the device is exiting, after an error or `shutdown`. */
let exiting = false;

function finish(message: DeviceToMainMessage): void {
  if (finished) return;
  finished = true;
  if (message.type === 'done') {
    channel.send(message);
    return;
  }
  exit(message, 1);
}

function exit(message: DeviceToMainMessage | null, exitCode: number): void {
  if (exiting) return;
  exiting = true;
  if (message === null) process.exit(exitCode);
  channel.sendAndExit(message, exitCode);
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
  channel.send({ type: 'log', level, message });
}

function handleMessage(message: MainToDeviceMessage, ports: readonly unknown[]): void {
  if (exiting) return;
  if (message.type === 'mesh-ports') {
    meshPorts = { peers: message.peers, ports: ports as MessagePortLike[] };
    onMeshPorts?.();
    return;
  }
  if (message.type === 'shutdown') {
    exit(null, 0);
    return;
  }
  // After `done` only the requests that read the final model are handled.
  if (finished && message.type !== 'set-probe' && message.type !== 'generate') return;
  if (message.type === 'init') {
    if (session !== null || connecting) {
      log('warn', 'ignored a second init message: a device process runs one run');
      return;
    }
    if (message.settings.parallel !== undefined) {
      startParallel(message).catch((error: unknown) => finish(errorMessage(error)));
      return;
    }
    try {
      session = new TrainingSession(message.project, message.settings, (outgoing) => channel.send(outgoing), finish);
    } catch (error) {
      finish(errorMessage(error));
      return;
    }
    log('debug', `run ${message.runId} initialized under ${channel.runtime}`);
    channel.send(session.readyMessage());
    return;
  }

  if (session === null) {
    if (message.type === 'stop' && connecting) log('debug', 'a stop arrived while the mesh connects; main ends this device');
    else if (message.type === 'stop') exit({ type: 'done', reason: 'stopped', epochs: 0, testAccuracy: null }, 0);
    else log('warn', `ignored ${message.type} before init`);
    return;
  }
  const active = session;
  switch (message.type) {
    case 'start':
      active.start(message.paused);
      return;
    case 'pause':
      active.pause();
      return;
    case 'resume':
      active.resume();
      return;
    case 'step':
      active.stepOnce();
      return;
    case 'stop':
      active.stop();
      return;
    case 'set-probe':
      active.setProbe(message.probe);
      return;
    case 'generate':
      active.generate(message.requestId, message.request);
      return;
  }
}

channel.onMessage((message, ports) => {
  try {
    handleMessage(message, ports);
  } catch (error) {
    finish(errorMessage(error));
  }
});

// Ctrl+C in a terminal signals the whole process group. The parent decides how the
// run ends (it sends `stop`), so the device must not die first and look like a crash.
process.on('SIGINT', () => log('debug', 'ignored SIGINT: the parent process stops this device'));

process.on('uncaughtException', (error) => exit(errorMessage(error), 1));
process.on('unhandledRejection', (reason) => exit(errorMessage(reason), 1));
