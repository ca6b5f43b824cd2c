/**
 * One device of a parallel run. Every device builds its PlanExecutor shard from
 * the project's seed and steps on the same batches, taking its slice.
 *
 * Device 0 leads: main sends start, pause, step and stop to it alone, and before
 * each action it sends a control code to every other device over the mesh, so all
 * devices step, gather and finish together. The others wait for that code without
 * a time limit (a dead leader closes its links, which ends the wait), while every
 * tensor a step exchanges must arrive within `receiveTimeoutMs`.
 */

import type { ParallelStepReport } from '../../shared/api';
import type { DeviceSettings, DeviceToMainMessage, ParallelDeviceSettings } from '../../shared/device';
import type { ProjectFile } from '../../shared/project';
import { makeBatches } from '../../engine/data/batches';
import { noGrad } from '../../engine/tensor/tensor';
import { estimateStep, type LinkModel } from '../../engine/parallel/costModel';
import { linkOfSettings } from '../../engine/parallel/reportEstimate';
import { PlanExecutor, type StepResult } from '../../engine/parallel/executor';
import { compareParameters, RELATIVE_FLOOR } from '../../engine/parallel/oneDeviceCheck';
import type { Transport } from '../../engine/parallel/transport';
import { writeCheckpoint } from './checkpoint';
import { createParallelTask, type DeviceBatch, type ParallelTask } from './parallelWorkload';
import { countCorrect, createOptimizer, createSchedule, DeviceRunError } from './session';
import type { ReceiveTransport } from './meshLinks';

const CONTROL_TAG = 'control';
const EVAL_BATCH_SIZE = 500;

/** Codes device 0 sends before each action. */
const Control = { step: 1, endEpoch: 2, finish: 3, stop: 4 } as const;

type LeaderState = 'ready' | 'running' | 'paused' | 'finished';

export class ParallelSession {
  private readonly task: ParallelTask;
  private readonly executor: PlanExecutor<DeviceBatch>;
  private readonly link: LinkModel;
  private readonly parallel: ParallelDeviceSettings;
  private readonly schedule: ((step: number) => number) | null;
  private readonly totalSteps: number;
  private state: LeaderState = 'ready';
  private busy = false;
  private stopRequested = false;
  private pendingSteps = 0;
  private step = 0;
  private epoch = 0;
  private epochLossSum = 0;
  private epochSteps = 0;
  private epochTrainMs = 0;
  private lastTestAccuracy: number | null = null;
  private lastReportMs = 0;

  constructor(
    private readonly project: ProjectFile,
    private readonly settings: DeviceSettings,
    /** Mesh links without a receive timeout (for control codes) and with one (for the executor). */
    private readonly links: { control: ReceiveTransport; tensors: Transport },
    private readonly send: (message: DeviceToMainMessage) => void,
    private readonly finish: (message: DeviceToMainMessage) => void,
  ) {
    this.parallel = settings.parallel!;
    if (project.training.gradientClipNorm !== undefined) {
      // NOTE: clipping needs the norm over every shard, which the plan executor does not compute yet.
      throw new DeviceRunError('Gradient clipping is not available under a parallel plan yet. Remove training.gradientClipNorm or train on one device.');
    }
    if (settings.resumeFrom !== undefined && settings.resumeFrom !== null) {
      // NOTE: a checkpoint holds unsharded tensors, and cutting them into this device's shards is not written yet.
      throw new DeviceRunError('Resuming from a checkpoint is not available under a parallel plan yet. Resume on one device, or start the parallel run without resuming.');
    }
    this.task = createParallelTask(project, settings.projectFolder ?? undefined);
    const { dataParallel, tensorParallel, sequenceParallel, tensorGroup, sharding } = this.parallel;
    this.executor = new PlanExecutor({
      workload: this.task.workload,
      plan: { dataParallel, tensorParallel, sequenceParallel, tensorGroup, sharding },
      transport: links.tensors,
      batchSize: project.training.batchSize,
      createOptimizer: (parameters) => createOptimizer(project, parameters),
    });
    this.link = linkOfSettings(this.parallel.link);
    this.totalSteps = this.task.stepsPerEpoch * project.training.epochs;
    this.schedule = createSchedule(project, this.totalSteps);
  }

  get rank(): number {
    return this.executor.rank;
  }

  readyMessage(): DeviceToMainMessage {
    let parameterCount = 0;
    for (const parameter of this.executor.model.parameters) parameterCount += parameter.fullShape.reduce((product, dim) => product * dim, 1);
    return {
      type: 'ready',
      stepsPerEpoch: this.task.stepsPerEpoch,
      totalSteps: this.totalSteps,
      parameterCount,
      trainCount: this.task.trainCount,
      testCount: this.task.testCount,
      ...(this.task.text === null ? {} : { vocabularySize: this.task.text.tokenizer.vocabularySize, textSource: this.task.text.source }),
    };
  }

  /** Runs the devices other than 0: wait for a control code, act on it, repeat until the run ends. */
  async follow(): Promise<void> {
    for (;;) {
      const [code] = await this.links.control.receive(0, CONTROL_TAG, null);
      if (code === Control.step) await this.trainStep();
      else if (code === Control.endEpoch) await this.gatherAndEvaluate(false);
      else {
        await this.gatherAndEvaluate(true);
        this.finish({ type: 'done', reason: code === Control.finish ? 'completed' : 'stopped', epochs: this.epoch, testAccuracy: null });
        return;
      }
    }
  }

  /** Runs a check: `steps` steps on the plan, then device 0 compares with one device and sends the result. */
  async check(steps: number): Promise<void> {
    const batches: DeviceBatch[] = [];
    for (let index = 0; index < steps; index++) batches.push(this.task.nextBatch(index % this.task.stepsPerEpoch === 0));
    const planLosses: number[] = [];
    for (const batch of batches) {
      const result = await this.executor.step(batch);
      this.step += 1;
      planLosses.push(result.loss);
      this.send({ type: 'parallel-step', report: this.stepReport(result) });
    }
    const gathered = await this.executor.gatherParameters();
    if (this.rank !== 0) {
      this.finish({ type: 'done', reason: 'completed', epochs: 0, testAccuracy: null });
      return;
    }

    const reference = this.task.workload.createReference();
    const optimizer = createOptimizer(this.project, reference.parameters);
    const oneDeviceLosses: number[] = [];
    for (const batch of batches) {
      optimizer.zeroGrad();
      const loss = reference.loss(batch);
      loss.backward();
      optimizer.step();
      oneDeviceLosses.push(loss.item());
    }
    let maxLossAbsolute = 0;
    let maxLossRelative = 0;
    oneDeviceLosses.forEach((expected, index) => {
      const difference = Math.abs(planLosses[index] - expected);
      maxLossAbsolute = Math.max(maxLossAbsolute, difference);
      maxLossRelative = Math.max(maxLossRelative, difference / Math.max(Math.abs(expected), RELATIVE_FLOOR));
    });
    const parameters = compareParameters(reference.parameters, gathered);
    const plan = this.executor.plan;
    this.send({
      type: 'parallel-check',
      result: {
        kind: 'parallel-check',
        plan: {
          dataParallel: plan.dataParallel,
          tensorParallel: plan.tensorParallel,
          sequenceParallel: plan.sequenceParallel,
          tensorGroup: [...plan.tensorGroup],
          sharding: Object.fromEntries(plan.resolvedSharding),
        },
        steps,
        oneDeviceLosses,
        planLosses,
        maxLossAbsolute,
        maxLossRelative,
        parameters,
        maxParameterAbsolute: Math.max(0, ...parameters.map((parameter) => parameter.maxAbsolute)),
        maxParameterRelative: Math.max(0, ...parameters.map((parameter) => parameter.relative)),
      },
    });
    this.finish({ type: 'done', reason: 'completed', epochs: 0, testAccuracy: null });
  }

  start(paused: boolean): void {
    if (this.state !== 'ready') return;
    this.setState(paused ? 'paused' : 'running');
    this.drive();
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused');
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
    this.drive();
  }

  stepOnce(): void {
    if (this.state !== 'paused') return;
    this.pendingSteps += 1;
    this.drive();
  }

  // NOTE: activation snapshots and text generation need the whole model on one device. A parallel
  // run builds it only at epoch ends, so a parallel device sends neither yet.
  setProbe(): void {
    this.send({ type: 'log', level: 'debug', message: 'activation snapshots are not available under a parallel plan' });
  }

  generate(requestId: string): void {
    this.send({ type: 'generation-error', requestId, message: 'Text generation is not available during a parallel run. Train on one device to generate, or load the checkpoint it wrote.' });
  }

  /** Ends the run after the current step: every device gathers, and device 0 writes the checkpoint. */
  stop(): void {
    if (this.state === 'finished') return;
    this.stopRequested = true;
    this.drive();
  }

  /** Starts the next action (a step, or the end of the run) unless one is running; actions run one at a time. */
  private drive(): void {
    if (this.busy || this.state === 'finished') return;
    let action: (() => Promise<void>) | null = null;
    if (this.stopRequested) {
      action = () => this.end(Control.stop);
    } else if (this.state === 'running' || (this.state === 'paused' && this.pendingSteps > 0)) {
      if (this.state === 'paused') this.pendingSteps -= 1;
      action = () => this.leaderStep();
    }
    if (action === null) return;
    this.busy = true;
    const run = action;
    setImmediate(() => {
      run().then(
        () => {
          this.busy = false;
          this.drive();
        },
        (error: unknown) => this.fail(error),
      );
    });
  }

  private async leaderStep(): Promise<void> {
    this.broadcastControl(Control.step);
    await this.trainStep();
    if (this.step % this.task.stepsPerEpoch !== 0) return;
    if (this.epoch >= this.project.training.epochs) {
      await this.end(Control.finish);
      return;
    }
    this.broadcastControl(Control.endEpoch);
    await this.gatherAndEvaluate(false);
  }

  private async end(code: number): Promise<void> {
    this.state = 'finished';
    this.broadcastControl(code);
    const testAccuracy = await this.gatherAndEvaluate(true);
    const reason = code === Control.finish ? 'completed' : 'stopped';
    this.finish({ type: 'done', reason, epochs: this.completedEpochs(), testAccuracy: testAccuracy ?? this.lastTestAccuracy });
  }

  private completedEpochs(): number {
    return Math.floor(this.step / this.task.stepsPerEpoch);
  }

  private async trainStep(): Promise<void> {
    const epochStart = this.step % this.task.stepsPerEpoch === 0;
    if (epochStart) {
      this.epoch += 1;
      this.epochLossSum = 0;
      this.epochSteps = 0;
      this.epochTrainMs = 0;
    }
    const batch = this.task.nextBatch(epochStart);
    if (this.schedule !== null) this.executor.optimizer.learningRate = this.schedule(this.step);
    const startedMs = performance.now();
    const result = await this.executor.step(batch);
    const elapsedMs = performance.now() - startedMs;
    if (!Number.isFinite(result.loss)) {
      throw new DeviceRunError(`The loss became ${result.loss} at step ${this.step + 1} (epoch ${this.epoch}). Lower the learning rate (now ${this.project.training.learningRate}) and start again.`);
    }
    this.step += 1;
    this.epochLossSum += result.loss;
    this.epochSteps += 1;
    this.epochTrainMs += elapsedMs;

    const now = Date.now();
    const endsEpoch = this.step % this.task.stepsPerEpoch === 0;
    if (this.step === 1 || endsEpoch || now - this.lastReportMs >= this.settings.stepReportIntervalMs) {
      this.lastReportMs = now;
      this.send({ type: 'parallel-step', report: this.stepReport(result) });
      if (this.rank === 0) {
        const samplesPerSecond = elapsedMs > 0 ? (this.project.training.batchSize * 1000) / elapsedMs : 0;
        this.send({ type: 'step', step: this.step, epoch: this.epoch, loss: result.loss, samplesPerSecond });
      }
    }
  }

  /**
   * Gathers the unsharded parameters on every device. Device 0 then evaluates them on
   * one device, reports the epoch, and writes a checkpoint when one is due (always at
   * the end). Returns device 0's test accuracy, or null on the other devices.
   */
  private async gatherAndEvaluate(atEnd: boolean): Promise<number | null> {
    const gathered = await this.executor.gatherParameters();
    if (this.rank !== 0) return null;

    const model = this.task.oneDeviceModel(gathered);
    const epochEnded = this.step % this.task.stepsPerEpoch === 0;
    let testAccuracy: number | null = null;
    if (epochEnded && this.epochSteps > 0) {
      const evalStartedMs = performance.now();
      const metrics = this.evaluate(model);
      testAccuracy = metrics.testAccuracy;
      this.lastTestAccuracy = testAccuracy;
      this.send({
        type: 'epoch',
        epoch: this.epoch,
        trainLoss: this.epochLossSum / this.epochSteps,
        testLoss: metrics.testLoss,
        testAccuracy,
        samplesPerSecond: this.epochTrainMs > 0 ? (this.epochSteps * this.project.training.batchSize * 1000) / this.epochTrainMs : 0,
        durationMs: this.epochTrainMs + (performance.now() - evalStartedMs),
        ...(this.task.text === null ? {} : this.textEpochFields()),
      });
      this.epochSteps = 0;
    }

    const every = this.project.training.checkpointEveryEpochs;
    const due = atEnd || (epochEnded && every !== undefined && this.epoch % every === 0);
    const path = this.settings.checkpointPath;
    if (due && path !== undefined && path !== null) {
      writeCheckpoint(path, this.project, model.parameters, this.task.text?.tokenizer ?? null, { epoch: this.completedEpochs(), step: this.step });
      this.send({ type: 'checkpoint', path, epoch: this.completedEpochs(), step: this.step });
    }
    return testAccuracy;
  }

  /** Returns the language-model fields of an epoch report: the unigram entropy and training tokens per second. */
  private textEpochFields(): { unigramEntropyNats: number; tokensPerSecond: number } {
    const text = this.task.text!;
    const tokens = this.epochSteps * this.project.training.batchSize * text.contextLength;
    return { unigramEntropyNats: text.dataset.unigramEntropyNats, tokensPerSecond: this.epochTrainMs > 0 ? (tokens * 1000) / this.epochTrainMs : 0 };
  }

  private evaluate(model: ReturnType<ParallelTask['oneDeviceModel']>): { testLoss: number; testAccuracy: number } {
    if (this.task.text !== null) {
      const metrics = this.task.text.evaluate(model, this.task.text.dataset.validation);
      return { testLoss: metrics.loss, testAccuracy: metrics.accuracy };
    }
    const dataset = this.task.dataset!;
    const { test } = dataset;
    if (test.count === 0) return { testLoss: 0, testAccuracy: 0 };
    let lossSum = 0;
    let correct = 0;
    noGrad(() => {
      for (const batch of makeBatches(test, EVAL_BATCH_SIZE, null, dataset.featureShape)) {
        const { loss, prediction } = model.forward(batch.features, batch.labels, 'eval');
        lossSum += loss.item() * batch.labels.length;
        correct += countCorrect(prediction.data, prediction.shape[1], batch.labels);
      }
    });
    return { testLoss: lossSum / test.count, testAccuracy: correct / test.count };
  }

  private stepReport(result: StepResult): ParallelStepReport {
    const { report, memory } = result;
    const tensorParallel = this.parallel.tensorParallel;
    const estimate = estimateStep(report, this.link);
    return {
      step: this.step,
      deviceIndex: this.rank,
      dataIndex: Math.floor(this.rank / tensorParallel),
      tensorIndex: this.rank % tensorParallel,
      collectives: report.total.byKind,
      collectivesByPhase: Object.fromEntries(Object.entries(report.byPhase).map(([phase, snapshot]) => [phase, snapshot.byKind])),
      memory,
      timeline: report.timeline,
      collectiveCalls: report.collectives,
      computeMs: report.computeMs,
      communicationMs: report.communicationMs,
      estimate: {
        linkName: estimate.link.name,
        bandwidthBytesPerSecond: estimate.link.bandwidthBytesPerSecond,
        latencyMs: estimate.link.latencyMs,
        computeMs: estimate.computeMs,
        communicationMs: estimate.communicationMs,
        stepMs: estimate.stepMs,
        timeline: estimate.timeline,
      },
    };
  }

  private broadcastControl(code: number): void {
    for (let peer = 1; peer < this.parallel.worldSize; peer++) this.links.control.send(peer, CONTROL_TAG, Float32Array.of(code));
  }

  private setState(state: 'running' | 'paused'): void {
    this.state = state;
    this.send({ type: 'state', state });
  }

  private fail(error: unknown): void {
    this.state = 'finished';
    this.finish(errorToMessage(error));
  }
}

function errorToMessage(error: unknown): DeviceToMainMessage {
  const message = error instanceof Error ? error.message : String(error);
  const nodeId = error instanceof DeviceRunError ? error.nodeId : undefined;
  return nodeId === undefined ? { type: 'error', message } : { type: 'error', message, nodeId };
}
