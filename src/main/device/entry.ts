/**
 * The device process entry, built to out/main/device.js. It runs as an Electron
 * utility process or a Node child process, receives an `init` message with the
 * project, trains on command, streams metrics and snapshots, and exits after
 * reporting `done` or `error`.
 */

import type { DeviceToMainMessage, MainToDeviceMessage } from '../../shared/device';
import { connectToParent } from './parentChannel';
import { errorMessage, TrainingSession } from './session';

const channel = connectToParent();
let session: TrainingSession | null = null;
let finished = false;

function finish(message: DeviceToMainMessage): void {
  if (finished) return;
  finished = true;
  channel.sendAndExit(message, message.type === 'error' ? 1 : 0);
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
  channel.send({ type: 'log', level, message });
}

function handleMessage(message: MainToDeviceMessage): void {
  if (finished) return;
  if (message.type === 'init') {
    if (session !== null) {
      log('warn', 'ignored a second init message: a device process runs one run');
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
    if (message.type === 'stop') finish({ type: 'done', reason: 'stopped', epochs: 0, testAccuracy: null });
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
  }
}

channel.onMessage((message) => {
  try {
    handleMessage(message);
  } catch (error) {
    finish(errorMessage(error));
  }
});

// Ctrl+C in a terminal signals the whole process group. The parent decides how the
// run ends (it sends `stop`), so the device must not die first and look like a crash.
process.on('SIGINT', () => log('debug', 'ignored SIGINT: the parent process stops this device'));

process.on('uncaughtException', (error) => finish(errorMessage(error)));
process.on('unhandledRejection', (reason) => finish(errorMessage(reason)));
