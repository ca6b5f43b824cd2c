/**
 * The trainer drives one run at a time on a device process: it validates the
 * project, launches the device, relays pause/resume/step/stop, turns device
 * messages into run events, and ends the run cleanly when the device finishes,
 * fails or dies.
 *
 * States: idle -> starting -> running <-> paused -> stopping -> idle. A call that
 * does not fit the current state throws a `RunStateError` saying what to do.
 *
 * A run is over (idle) once its device reports `done`, but that device stays up with
 * the final weights, so probes and generation requests are still handled. It is shut
 * down when the next run starts or the trainer is disposed.
 */

import { randomUUID } from 'node:crypto';
import type { ActivationProbe, GenerationRequest, GenerationResult, LinkSettings, RunEvent, RunState, RunStatus, Unsubscribe } from '../../shared/api';
import type { DeviceToMainMessage } from '../../shared/device';
import type { ProjectFile, ProjectIssue } from '../../shared/project';
import type { DeviceExit, DeviceHandle, DeviceLauncher } from '../devices/launcher';
import { describeDeviceExit } from '../devices/launcher';
import { createLogger, type Logger } from '../log';
import { launchDevicePool, type DevicePool } from '../devices/devicePool';
import { DEFAULT_RECEIVE_TIMEOUT_MS, DeviceCountError, parallelDeviceSettings, parallelRunOf, type ParallelRun } from './parallelRun';
import { formatEpochLine, formatProgressLine, tokenNameOf } from './progressLog';

export class RunStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStateError';
  }
}

/** The project failed validation; `issues` locate each problem by node, port or field. */
export class RunValidationError extends Error {
  readonly issues: ProjectIssue[];

  constructor(issues: ProjectIssue[]) {
    super(`The project is invalid, so the run did not start. Fix these issues: ${issues.map(formatIssue).join('; ')}`);
    this.name = 'RunValidationError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ProjectIssue): string {
  const where: string[] = [];
  if (issue.nodeId !== undefined) where.push(`node ${issue.nodeId}`);
  if (issue.port !== undefined) where.push(`port ${issue.port}`);
  if (issue.path !== undefined && issue.nodeId === undefined) where.push(issue.path);
  return where.length === 0 ? issue.message : `${where.join(', ')}: ${issue.message}`;
}

export interface TrainerOptions {
  launcher: DeviceLauncher;
  /** Returns the problems that keep a project from training; empty when it can run. */
  validate(project: ProjectFile): ProjectIssue[];
  stepReportIntervalMs?: number;
  snapshotIntervalMs?: number;
  /** Gap between two progress lines in the log. */
  logIntervalMs?: number;
  /** How long a stopping device gets to finish before it is killed. */
  stopTimeoutMs?: number;
  logger?: Logger;
  /** Parallel runs: maximum wait for a peer's tensor before a device fails. Default 30 s. */
  receiveTimeoutMs?: number;
  /** Parallel runs: the link of the step cost estimate. Default NVLink. */
  link?: LinkSettings;
}

/** Checkpoint paths of a run, and the folder that a relative text file path is resolved against. */
export interface RunFiles {
  /** Checkpoint the device writes every `training.checkpointEveryEpochs` epochs and at the end; null writes none. */
  checkpointPath?: string | null;
  /** Checkpoint to load before training. */
  resumeFrom?: string | null;
  projectFolder?: string | null;
  /**
   * Devices to train on. With a DeviceMesh node it must equal the mesh's data × tensor
   * size; without one, more than 1 trains data parallel. Absent follows the mesh.
   */
  deviceCount?: number;
  /** Link of the step cost estimates; replaces the trainer's default for this run. */
  link?: LinkSettings;
}

interface PendingGeneration {
  resolve(result: GenerationResult): void;
  reject(error: Error): void;
}

interface ActiveRun {
  runId: string;
  project: ProjectFile;
  device: DeviceHandle;
  /** Steps requested by `step()` before the device was ready. */
  pendingSteps: number;
  startPaused: boolean;
  /** Set once the device sent `done` or `error`, so its exit is expected. */
  finished: boolean;
  lastEpoch: number;
  lastTestAccuracy: number | null;
  lastProgressLogMs: number;
  stopTimer: NodeJS.Timeout | null;
  /** Resolves the promises of `stop()` calls once the run has ended. */
  endedWaiters: Array<() => void>;
  /** Generation requests sent to this run's device, by request id. */
  generations: Map<string, PendingGeneration>;
  /** The plan of a run on several devices; null on one device. */
  parallel: ParallelRun | null;
}

/** Gap in milliseconds that a device gets to exit after `shutdown` before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 2000;

export class Trainer {
  private readonly options: Required<Omit<TrainerOptions, 'logger' | 'receiveTimeoutMs' | 'link'>> & Pick<TrainerOptions, 'receiveTimeoutMs' | 'link'>;
  private readonly log: Logger;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private state: RunState = 'idle';
  private run: ActiveRun | null = null;
  /** The last run after it reported `done`; its device stays up to handle probes and generation. */
  private lastRun: ActiveRun | null = null;
  private lastCheckpoint: string | null = null;
  private nextGenerationId = 1;
  private probe: ActivationProbe = { nodeId: null, sampleIndex: 0 };

  constructor(options: TrainerOptions) {
    this.options = {
      stepReportIntervalMs: 100,
      snapshotIntervalMs: 250,
      logIntervalMs: 5000,
      stopTimeoutMs: 3000,
      ...options,
    };
    this.log = options.logger ?? createLogger('trainer');
  }

  status(): RunStatus {
    return { state: this.state, runId: this.run?.runId ?? null };
  }

  onDidRunEvent(listener: (event: RunEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Returns the path of the checkpoint the last run wrote, or null when no run has written one. */
  lastCheckpointPath(): string | null {
    return this.lastCheckpoint;
  }

  /**
   * Validates `project` and launches a device for it; with `paused`, the run waits for `resume`
   * or `step`. `files` sets where checkpoints go and which one to resume from.
   */
  start(project: ProjectFile, paused = false, files: RunFiles = {}): RunStatus {
    if (this.state !== 'idle') {
      throw new RunStateError(`Cannot start a run: run ${this.run?.runId} is ${this.state}. Stop it first.`);
    }

    const issues = this.options.validate(project);
    if (issues.length > 0) {
      const error = new RunValidationError(issues);
      this.log.error(`run not started: ${error.message}`);
      this.emit({ kind: 'error', runId: null, message: error.message, issues });
      throw error;
    }

    let parallel: ParallelRun | null;
    try {
      parallel = parallelRunOf(project, files.deviceCount);
    } catch (error) {
      if (!(error instanceof DeviceCountError)) throw error;
      const invalid = new RunValidationError(error.issues);
      this.log.error(`run not started: ${invalid.message}`);
      this.emit({ kind: 'error', runId: null, message: invalid.message, issues: error.issues });
      throw invalid;
    }

    this.shutDownLastRun();
    const runId = randomUUID().slice(0, 8);
    let device: DeviceHandle;
    try {
      device =
        parallel === null
          ? this.options.launcher.launch(0)
          : launchDevicePool({
              launcher: this.options.launcher,
              parallel: parallelDeviceSettings(parallel, this.options.receiveTimeoutMs ?? DEFAULT_RECEIVE_TIMEOUT_MS, files.link ?? this.options.link ?? { preset: 'nvlink' }),
              log: this.log,
            });
    } catch (error) {
      const message = `Device 0 could not be started: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error(`run ${runId} not started: ${message}`);
      this.emit({ kind: 'error', runId, message });
      throw new Error(message, { cause: error });
    }
    const run: ActiveRun = {
      runId,
      project,
      device,
      pendingSteps: 0,
      startPaused: paused,
      finished: false,
      lastEpoch: 0,
      lastTestAccuracy: null,
      lastProgressLogMs: 0,
      stopTimer: null,
      endedWaiters: [],
      generations: new Map(),
      parallel,
    };
    this.run = run;
    device.onMessage((message) => this.handleDeviceMessage(run, message));
    device.onExit((exit) => this.handleDeviceExit(run, exit));

    const { training, dataset } = project;
    this.log.info(
      `run ${runId} starting: project "${project.name}", dataset ${dataset.id}, ${training.epochs} epochs, ` +
        `batch size ${training.batchSize}, ${training.optimizer} learning rate ${training.learningRate}, ` +
        `seed ${training.seed}, device 0 pid ${device.pid ?? 'unknown'}` +
        (parallel === null ? '' : `, ${parallel.worldSize} devices (data ${parallel.plan.dataParallel} × tensor ${parallel.plan.tensorParallel}${parallel.plan.sequenceParallel ? ', sequence parallel' : ''})`),
    );
    device.send({
      type: 'init',
      runId,
      project,
      settings: {
        deviceIndex: 0,
        stepReportIntervalMs: this.options.stepReportIntervalMs,
        snapshotIntervalMs: this.options.snapshotIntervalMs,
        probe: this.probe,
        checkpointPath: files.checkpointPath ?? null,
        resumeFrom: files.resumeFrom ?? null,
        projectFolder: files.projectFolder ?? null,
      },
    });
    this.setState('starting');
    return this.status();
  }

  pause(): RunStatus {
    const run = this.requireState('pause', ['running'], 'Only a running run can be paused.');
    run.device.send({ type: 'pause' });
    this.setState('paused');
    return this.status();
  }

  resume(): RunStatus {
    const run = this.requireState('resume', ['paused'], 'Only a paused run can be resumed.');
    run.device.send({ type: 'resume' });
    this.setState('running');
    return this.status();
  }

  /** Runs one optimizer step of a paused run; from idle, starts `project` paused and then steps. */
  step(project: ProjectFile, files: RunFiles = {}): RunStatus {
    if (this.state === 'idle') {
      this.start(project, true, files);
      this.run!.pendingSteps += 1;
      return this.status();
    }
    const run = this.requireState('step', ['paused', 'starting'], 'Pause the run before stepping.');
    if (this.state === 'starting') {
      if (!run.startPaused) throw new RunStateError('Cannot step: the run is starting and will run freely. Pause it once it runs.');
      run.pendingSteps += 1;
      return this.status();
    }
    run.device.send({ type: 'step' });
    return this.status();
  }

  /** Asks the device to stop after its current step; resolves once the run has ended. */
  async stop(): Promise<RunStatus> {
    const run = this.requireState('stop', ['starting', 'running', 'paused', 'stopping'], 'There is nothing to stop.');
    const ended = new Promise<void>((resolve) => run.endedWaiters.push(resolve));
    if (this.state !== 'stopping') {
      this.log.info(`run ${run.runId} stopping on request`);
      run.device.send({ type: 'stop' });
      this.setState('stopping');
      run.stopTimer ??= setTimeout(() => {
        this.log.warn(`run ${run.runId}: device 0 did not stop within ${this.options.stopTimeoutMs} ms, killing it`);
        run.device.kill();
      }, this.options.stopTimeoutMs);
    }
    await ended;
    return this.status();
  }

  setProbe(probe: ActivationProbe): void {
    if (!Number.isInteger(probe.sampleIndex) || probe.sampleIndex < 0) {
      throw new RangeError(`Invalid activation probe sample index ${probe.sampleIndex}: use a test sample index of 0 or more.`);
    }
    if (probe.text !== undefined && probe.text !== null && typeof probe.text !== 'string') {
      throw new TypeError(`Invalid activation probe text: use a text or null, got ${typeof probe.text}.`);
    }
    this.probe = { nodeId: probe.nodeId, sampleIndex: probe.sampleIndex, ...(probe.text === undefined ? {} : { text: probe.text }) };
    const target = this.run !== null && !this.run.finished ? this.run : this.lastRun;
    target?.device.send({ type: 'set-probe', probe: this.probe });
  }

  /**
   * Generates text with the model of the active run, or of the last run after it ended.
   * Streams each token as a `generation` event and resolves with the whole text.
   */
  generate(request: GenerationRequest): Promise<GenerationResult> {
    const run = this.run !== null && !this.run.finished && this.state !== 'starting' ? this.run : this.lastRun;
    if (run === null) {
      const why = this.state === 'starting' ? 'the run is still starting; wait until it runs' : 'no run has trained a model yet; train a language model first';
      return Promise.reject(new RunStateError(`Cannot generate text: ${why}.`));
    }
    const requestId = `g${this.nextGenerationId++}`;
    return new Promise<GenerationResult>((resolve, reject) => {
      run.generations.set(requestId, { resolve, reject });
      run.device.send({ type: 'generate', requestId, request });
    });
  }

  /** Kills the device of the active run, and the device kept up after the last run, at once. */
  dispose(): void {
    if (this.lastRun !== null) {
      this.lastRun.device.kill();
      this.lastRun = null;
    }
    if (this.run === null) return;
    this.log.info(`run ${this.run.runId} ended because the trainer is shutting down`);
    this.run.device.kill();
  }

  /** Asks the device kept up after the last run to exit, and kills it if it does not. */
  private shutDownLastRun(): void {
    const last = this.lastRun;
    if (last === null) return;
    this.lastRun = null;
    rejectGenerations(last, 'a new run started');
    last.device.send({ type: 'shutdown' });
    setTimeout(() => last.device.kill(), SHUTDOWN_TIMEOUT_MS).unref();
  }

  private requireState(action: string, allowed: RunState[], hint: string): ActiveRun {
    if (this.run === null || !allowed.includes(this.state)) {
      const current = this.run === null ? 'no run is active' : `run ${this.run.runId} is ${this.state}`;
      throw new RunStateError(`Cannot ${action}: ${current}. ${hint}`);
    }
    return this.run;
  }

  private handleDeviceMessage(run: ActiveRun, message: DeviceToMainMessage): void {
    if (this.run !== run && this.lastRun !== run) return;
    const { runId } = run;
    switch (message.type) {
      case 'ready':
        this.log.info(
          `run ${runId}: device 0 ready, ${message.parameterCount} parameters, ${message.trainCount} training and ` +
            `${message.testCount} test samples, ${message.stepsPerEpoch} steps per epoch`,
        );
        if (this.state === 'stopping') return;
        this.emit({ kind: 'started', runId, totalSteps: message.totalSteps, stepsPerEpoch: message.stepsPerEpoch });
        if (run.parallel !== null) {
          const devicePids = 'pids' in run.device ? (run.device as DevicePool).pids() : [];
          this.emit({ kind: 'parallel-started', runId, plan: run.parallel.summary, devicePids });
        }
        run.device.send({ type: 'start', paused: run.startPaused });
        this.setState(run.startPaused ? 'paused' : 'running');
        for (; run.pendingSteps > 0; run.pendingSteps--) run.device.send({ type: 'step' });
        return;
      case 'step':
        this.emit({ kind: 'step', runId, ...stripType(message) });
        this.logProgress(run, message);
        return;
      case 'epoch':
        run.lastEpoch = message.epoch;
        run.lastTestAccuracy = message.testAccuracy;
        this.log.info(`run ${runId} ${formatEpochLine({ ...message, totalEpochs: run.project.training.epochs, tokenName: tokenNameOf(run.project.dataset.tokenizer) })}`);
        this.emit({ kind: 'epoch', runId, ...stripType(message) });
        return;
      case 'activations':
        this.emit({ kind: 'activations', runId, step: message.step, snapshot: message.snapshot });
        return;
      case 'attention':
        this.emit({ kind: 'attention', runId, step: message.step, snapshot: message.snapshot });
        return;
      case 'checkpoint':
        this.lastCheckpoint = message.path;
        this.log.info(`run ${runId} wrote checkpoint ${message.path} after epoch ${message.epoch}, step ${message.step}`);
        this.emit({ kind: 'checkpoint', runId, path: message.path, epoch: message.epoch, step: message.step });
        return;
      case 'generation-token':
        this.emit({ kind: 'generation', runId, ...stripType(message) });
        return;
      case 'generation-done': {
        const pending = run.generations.get(message.requestId);
        run.generations.delete(message.requestId);
        pending?.resolve({ requestId: message.requestId, prompt: message.prompt, generated: message.generated, tokenCount: message.tokenCount });
        return;
      }
      case 'generation-error': {
        const pending = run.generations.get(message.requestId);
        run.generations.delete(message.requestId);
        pending?.reject(new Error(message.message));
        return;
      }
      case 'state':
        this.log.debug(`run ${runId}: device 0 is ${message.state}`);
        return;
      case 'done':
        run.finished = true;
        if (run.stopTimer !== null) clearTimeout(run.stopTimer);
        run.stopTimer = null;
        this.log.info(
          `run ${runId} ${message.reason} after ${message.epochs} epochs` +
            (message.testAccuracy === null ? '' : `, test accuracy ${(message.testAccuracy * 100).toFixed(2)}%`),
        );
        this.emit({ kind: 'done', runId, ...stripType(message) });
        // The device stays up with the final weights for probes and generation.
        if (this.run === run) {
          this.lastRun = run;
          this.run = null;
          this.setState('idle', runId);
          for (const resolve of run.endedWaiters) resolve();
        }
        return;
      case 'error':
        run.finished = true;
        this.killIfStillRunning(run);
        this.log.error(`run ${runId} failed on device 0${message.nodeId === undefined ? '' : ` at node ${message.nodeId}`}: ${message.message}`);
        this.emit({ kind: 'error', runId, message: message.message, ...(message.nodeId === undefined ? {} : { nodeId: message.nodeId }) });
        return;
      case 'log':
        this.log[message.level](`device 0: ${message.message}`);
        return;
      case 'parallel-step':
        this.emit({ kind: 'parallel-step', runId, report: message.report });
        return;
      case 'parallel-check':
        // Only checkParallel starts a check, and it reads the result from the pool itself.
        return;
    }
  }

  // A device exits by itself after its final report; one that hangs instead would keep the run from ending.
  private killIfStillRunning(run: ActiveRun): void {
    if (run.stopTimer !== null) return;
    run.stopTimer = setTimeout(() => {
      this.log.warn(`run ${run.runId}: device 0 did not exit within ${this.options.stopTimeoutMs} ms of its final report, killing it`);
      run.device.kill();
    }, this.options.stopTimeoutMs);
  }

  private handleDeviceExit(run: ActiveRun, exit: DeviceExit): void {
    if (run.stopTimer !== null) clearTimeout(run.stopTimer);
    rejectGenerations(run, `device 0 exited with code ${exit.code}`);
    if (this.lastRun === run) {
      this.lastRun = null;
      this.log.debug(`run ${run.runId}: device 0 exited with code ${exit.code} after the run`);
      return;
    }
    if (this.run !== run) return;

    if (!run.finished) {
      if (this.state === 'stopping' && exit.error === undefined) {
        this.log.info(`run ${run.runId} stopped: device 0 ended without a final report`);
        this.emit({ kind: 'done', runId: run.runId, reason: 'stopped', epochs: run.lastEpoch, testAccuracy: run.lastTestAccuracy });
      } else {
        const message = describeDeviceExit(run.device.deviceIndex, run.device.pid, exit);
        this.log.error(`run ${run.runId} failed: ${message}`);
        this.emit({ kind: 'error', runId: run.runId, message });
      }
    } else {
      this.log.debug(`run ${run.runId}: device 0 exited with code ${exit.code}`);
    }

    this.run = null;
    this.setState('idle', run.runId);
    for (const resolve of run.endedWaiters) resolve();
  }

  private logProgress(run: ActiveRun, message: Extract<DeviceToMainMessage, { type: 'step' }>): void {
    const now = Date.now();
    if (now - run.lastProgressLogMs < this.options.logIntervalMs) return;
    run.lastProgressLogMs = now;
    const line = formatProgressLine({
      epoch: message.epoch,
      totalEpochs: run.project.training.epochs,
      step: message.step,
      loss: message.loss,
      testAccuracy: run.lastTestAccuracy,
      samplesPerSecond: message.samplesPerSecond,
    });
    this.log.info(`run ${run.runId} ${line}`);
  }

  private setState(state: RunState, runId = this.run?.runId): void {
    if (this.state === state) return;
    this.state = state;
    if (runId !== undefined) this.emit({ kind: 'state', runId, state });
  }

  private emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error(`a run event listener failed on a ${event.kind} event`, error);
      }
    }
  }
}

function rejectGenerations(run: ActiveRun, reason: string): void {
  for (const pending of run.generations.values()) pending.reject(new Error(`Generation stopped: ${reason}.`));
  run.generations.clear();
}

function stripType<T extends { type: string }>(message: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = message;
  return rest;
}
