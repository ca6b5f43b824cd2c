/**
 * One training run inside a device process. The loop runs one optimizer step per
 * event-loop turn (scheduled with setImmediate), so pause, stop, probe and
 * generation messages are handled between any two steps. Step losses are
 * throttled to one message per `stepReportIntervalMs`, activation and attention
 * snapshots to one per `snapshotIntervalMs`.
 *
 * After the run ends (`done`) the session keeps its model, so it still handles
 * probes and generation requests until main shuts the device down.
 */

import type { ActivationProbe, GenerationRequest } from '../../shared/api';
import type { DeviceSettings, DeviceToMainMessage } from '../../shared/device';
import { DEFAULT_TEXT_STEPS_PER_EPOCH, type ProjectFile } from '../../shared/project';
import { batchCount, makeBatches, type Batch } from '../../engine/data/batches';
import { isTextDataset } from '../../engine/data/catalog';
import type { Dataset } from '../../engine/data/dataset';
import { compileGraph, type CompiledModel } from '../../engine/graph/compile';
import { Adam } from '../../engine/optim/adam';
import { AdamW } from '../../engine/optim/adamw';
import { clipGradNorm } from '../../engine/optim/clip';
import type { Optimizer } from '../../engine/optim/optimizer';
import { warmupCosineSchedule } from '../../engine/optim/schedule';
import { SGD } from '../../engine/optim/sgd';
import { Rng } from '../../engine/tensor/random';
import { noGrad, type Tensor } from '../../engine/tensor/tensor';
import { loadDataset } from '../data/loadDataset';
import { loadCheckpointInto, readCheckpoint, writeCheckpoint } from './checkpoint';
import { Generation } from './generation';
import { takeSnapshot } from './snapshot';
import { TextTask } from './textTask';

/** Samples per forward pass when evaluating the test split; bounds memory, not results. */
const EVAL_BATCH_SIZE = 500;
/** Generated tokens per event-loop turn, so training steps and other messages interleave with a long generation. */
const TOKENS_PER_TURN = 4;

type SessionState = 'ready' | 'running' | 'paused' | 'finished';

export interface EpochMetrics {
  testLoss: number;
  testAccuracy: number;
}

/** Thrown when training cannot continue; `nodeId` names the graph node when one is at fault. */
export class DeviceRunError extends Error {
  readonly nodeId: string | undefined;

  constructor(message: string, nodeId?: string) {
    super(message);
    this.name = 'DeviceRunError';
    this.nodeId = nodeId;
  }
}

export class TrainingSession {
  private state: SessionState = 'ready';
  private readonly model: CompiledModel;
  private readonly optimizer: Optimizer;
  /** The classification dataset, or null for a language model. */
  private readonly dataset: Dataset | null;
  /** The text of a language model, or null for classification. */
  private readonly text: TextTask | null;
  private readonly shuffleRng: Rng;
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly schedule: ((step: number) => number) | null;
  private probe: ActivationProbe;

  private step = 0;
  private epoch = 0;
  /** Batches of the current epoch; null between epochs. A text epoch draws random windows and leaves this empty. */
  private batches: Iterator<Batch> | null = null;
  private inEpoch = false;
  private loopScheduled = false;

  private epochLossSum = 0;
  private epochSamples = 0;
  private epochTokens = 0;
  private epochTrainMs = 0;
  private lastTestAccuracy: number | null = null;

  private lastStepReportMs = 0;
  private reportSamples = 0;
  private reportTokens = 0;
  private reportTrainMs = 0;
  private lastSnapshotMs = 0;

  constructor(
    private readonly project: ProjectFile,
    private readonly settings: DeviceSettings,
    private readonly send: (message: DeviceToMainMessage) => void,
    /** Called once with the final message (`done` or `error`); the caller sends it. */
    private readonly finish: (message: DeviceToMainMessage) => void,
  ) {
    const { training } = project;
    this.probe = settings.probe;
    const rng = new Rng(training.seed);
    const initRng = rng.fork();
    this.shuffleRng = rng.fork();

    if (isTextDataset(project.dataset.id)) {
      this.dataset = null;
      this.text = new TextTask(project, settings.projectFolder ?? undefined);
      this.model = compileGraph(project.graph, this.text.shapes(), initRng);
      this.stepsPerEpoch = training.stepsPerEpoch ?? DEFAULT_TEXT_STEPS_PER_EPOCH;
    } else {
      this.text = null;
      this.dataset = loadDataset(project.dataset, training.seed);
      if (this.dataset.train.count === 0) {
        throw new DeviceRunError(`Dataset ${project.dataset.id} has no training samples: raise dataset.trainLimit or set it to 0 for all.`);
      }
      this.model = compileGraph(project.graph, { featureShape: this.dataset.featureShape, classCount: this.dataset.classCount }, initRng);
      this.stepsPerEpoch = batchCount(this.dataset.train.count, training.batchSize);
    }
    this.totalSteps = this.stepsPerEpoch * training.epochs;

    if (settings.resumeFrom !== undefined && settings.resumeFrom !== null) {
      loadCheckpointInto(readCheckpoint(settings.resumeFrom), this.model.parameters, this.text?.tokenizer ?? null);
    }
    this.optimizer = createOptimizer(project, this.model.parameters);
    this.schedule = createSchedule(project, this.totalSteps);
  }

  readyMessage(): DeviceToMainMessage {
    let parameterCount = 0;
    for (const parameter of this.model.parameters.values()) parameterCount += parameter.numel;
    const text = this.text;
    return {
      type: 'ready',
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      parameterCount,
      trainCount: text === null ? this.dataset!.train.count : text.dataset.train.windowStarts.length,
      testCount: text === null ? this.dataset!.test.count : text.dataset.validation.windowStarts.length,
      ...(text === null ? {} : { vocabularySize: text.tokenizer.vocabularySize, textSource: text.source }),
    };
  }

  start(paused: boolean): void {
    if (this.state !== 'ready') return;
    this.setState(paused ? 'paused' : 'running');
    if (paused) this.guard(() => this.sendSnapshot());
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.setState('paused');
    this.guard(() => this.sendSnapshot());
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
  }

  /** Runs one step while paused, reporting its loss and a snapshot at once. */
  stepOnce(): void {
    if (this.state !== 'paused') return;
    this.guard(() => {
      this.trainStep(true);
      if (this.state === 'paused') this.sendSnapshot();
    });
  }

  stop(): void {
    if (this.state === 'finished') return;
    this.guard(() => this.end({ type: 'done', reason: 'stopped', epochs: this.completedEpochs(), testAccuracy: this.lastTestAccuracy }));
  }

  private completedEpochs(): number {
    return this.inEpoch ? this.epoch - 1 : this.epoch;
  }

  setProbe(probe: ActivationProbe): void {
    this.probe = probe;
    // After the run the model keeps its final weights, so a probe still gets a snapshot.
    try {
      this.sendSnapshot();
    } catch (error) {
      this.send({ type: 'log', level: 'warn', message: `the snapshot for node ${String(probe.nodeId)} failed: ${errorText(error)}` });
    }
  }

  /**
   * Generates text for `request` a few tokens per event-loop turn, streaming each token.
   * A failure ends this request only and leaves the run going.
   */
  generate(requestId: string, request: GenerationRequest): void {
    const text = this.text;
    if (text === null) {
      this.send({ type: 'generation-error', requestId, message: 'Generation needs a language model: this run classifies samples. Train a project with a Token input on a text dataset.' });
      return;
    }
    let generation: Generation;
    try {
      generation = new Generation((context) => this.model.nextTokenLogits(context), text.tokenizer, request);
    } catch (error) {
      this.send({ type: 'generation-error', requestId, message: errorText(error) });
      return;
    }

    const continueGeneration = (): void => {
      try {
        for (let produced = 0; produced < TOKENS_PER_TURN && !generation.finished; produced++) {
          this.send({ type: 'generation-token', requestId, ...generation.next() });
        }
      } catch (error) {
        this.send({ type: 'generation-error', requestId, message: errorText(error) });
        return;
      }
      if (!generation.finished) {
        setImmediate(continueGeneration);
        return;
      }
      this.send({ type: 'generation-done', requestId, prompt: request.prompt, generated: generation.generatedText(), tokenCount: request.maxTokens });
    };
    setImmediate(continueGeneration);
  }

  /** Runs `work`; a failure ends the run with an error message naming the node where known. */
  guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      if (this.state === 'finished') return;
      this.state = 'finished';
      this.finish(errorMessage(error));
    }
  }

  private setState(state: 'running' | 'paused'): void {
    this.state = state;
    this.send({ type: 'state', state });
    if (state === 'running') this.scheduleLoop();
  }

  private scheduleLoop(): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      if (this.state !== 'running') return;
      this.guard(() => this.trainStep(false));
      if (this.state === 'running') this.scheduleLoop();
    });
  }

  private nextBatch(): { features: Tensor; labels: Int32Array; samples: number; tokens: number } {
    const { batchSize } = this.project.training;
    if (this.text !== null) {
      const { tokens, targets } = this.text.trainingBatch(batchSize, this.shuffleRng);
      return { features: tokens, labels: targets, samples: batchSize, tokens: targets.length };
    }
    this.batches ??= makeBatches(this.dataset!.train, batchSize, this.shuffleRng, this.dataset!.featureShape);
    const next = this.batches.next();
    if (next.done === true) throw new Error(`Epoch ${this.epoch} ran out of batches before step ${this.step + 1}.`);
    return { features: next.value.features, labels: next.value.labels, samples: next.value.labels.length, tokens: 0 };
  }

  private trainStep(reportNow: boolean): void {
    if (!this.inEpoch) {
      this.inEpoch = true;
      this.batches = null;
      this.epoch += 1;
      this.epochLossSum = 0;
      this.epochSamples = 0;
      this.epochTokens = 0;
      this.epochTrainMs = 0;
    }
    const batch = this.nextBatch();

    const startedMs = performance.now();
    this.optimizer.zeroGrad();
    const { loss } = this.model.forward(batch.features, batch.labels, 'train');
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) {
      throw new DeviceRunError(
        `The loss became ${lossValue} at step ${this.step + 1} (epoch ${this.epoch}). ` +
          `Lower the learning rate (now ${this.project.training.learningRate}) and start again.`,
        this.model.lossNodeId,
      );
    }
    loss.backward();
    const clipNorm = this.project.training.gradientClipNorm;
    if (clipNorm !== undefined) clipGradNorm(this.model.parameters, clipNorm);
    if (this.schedule !== null) this.optimizer.learningRate = this.schedule(this.step);
    this.optimizer.step();
    const elapsedMs = performance.now() - startedMs;

    this.step += 1;
    this.epochLossSum += lossValue * batch.samples;
    this.epochSamples += batch.samples;
    this.epochTokens += batch.tokens;
    this.epochTrainMs += elapsedMs;
    this.reportSamples += batch.samples;
    this.reportTokens += batch.tokens;
    this.reportTrainMs += elapsedMs;
    this.reportStep(lossValue, reportNow);

    if (this.step % this.stepsPerEpoch === 0) this.endEpoch();
    else if (this.state === 'running') this.maybeSendSnapshot();
  }

  private reportStep(loss: number, reportNow: boolean): void {
    const now = Date.now();
    const endsEpoch = this.step % this.stepsPerEpoch === 0;
    if (!reportNow && !endsEpoch && now - this.lastStepReportMs < this.settings.stepReportIntervalMs) return;
    this.lastStepReportMs = now;
    const samplesPerSecond = perSecond(this.reportSamples, this.reportTrainMs);
    const tokens = this.text === null ? {} : { tokensPerSecond: perSecond(this.reportTokens, this.reportTrainMs) };
    this.send({ type: 'step', step: this.step, epoch: this.epoch, loss, samplesPerSecond, ...tokens });
    this.reportSamples = 0;
    this.reportTokens = 0;
    this.reportTrainMs = 0;
  }

  private endEpoch(): void {
    const evalStartedMs = performance.now();
    const { testLoss, testAccuracy } = this.evaluate();
    const evalMs = performance.now() - evalStartedMs;
    this.lastTestAccuracy = testAccuracy;
    this.inEpoch = false;
    this.batches = null;

    const text = this.text;
    this.send({
      type: 'epoch',
      epoch: this.epoch,
      trainLoss: this.epochLossSum / this.epochSamples,
      testLoss,
      testAccuracy,
      samplesPerSecond: perSecond(this.epochSamples, this.epochTrainMs),
      durationMs: this.epochTrainMs + evalMs,
      ...(text === null ? {} : { unigramEntropyNats: text.dataset.unigramEntropyNats, tokensPerSecond: perSecond(this.epochTokens, this.epochTrainMs) }),
    });

    if (this.epoch >= this.project.training.epochs) {
      this.end({ type: 'done', reason: 'completed', epochs: this.epoch, testAccuracy });
      return;
    }
    const every = this.project.training.checkpointEveryEpochs;
    if (every !== undefined && this.epoch % every === 0) this.saveCheckpoint();
    this.maybeSendSnapshot();
  }

  /** Evaluates the test split (or, for text, evenly spaced validation windows) in eval mode, without recording ops. */
  evaluate(): EpochMetrics {
    if (this.text !== null) {
      const metrics = this.text.evaluate(this.model, this.text.dataset.validation);
      return { testLoss: metrics.loss, testAccuracy: metrics.accuracy };
    }
    const dataset = this.dataset!;
    const { test } = dataset;
    if (test.count === 0) return { testLoss: 0, testAccuracy: 0 };
    let lossSum = 0;
    let correct = 0;
    noGrad(() => {
      for (const batch of makeBatches(test, EVAL_BATCH_SIZE, null, dataset.featureShape)) {
        const { loss, prediction } = this.model.forward(batch.features, batch.labels, 'eval');
        lossSum += loss.item() * batch.labels.length;
        correct += countCorrect(prediction.data, prediction.shape[1], batch.labels);
      }
    });
    return { testLoss: lossSum / test.count, testAccuracy: correct / test.count };
  }

  private saveCheckpoint(): void {
    const path = this.settings.checkpointPath;
    if (path === undefined || path === null) return;
    writeCheckpoint(path, this.project, this.model.parameters, this.text?.tokenizer ?? null, { epoch: this.completedEpochs(), step: this.step });
    this.send({ type: 'checkpoint', path, epoch: this.completedEpochs(), step: this.step });
  }

  private maybeSendSnapshot(): void {
    const now = Date.now();
    if (now - this.lastSnapshotMs < this.settings.snapshotIntervalMs) return;
    this.sendSnapshot();
  }

  private sendSnapshot(): void {
    this.lastSnapshotMs = Date.now();
    if (this.text !== null) {
      const attention = this.text.attentionSnapshot(this.model, this.probe);
      if (attention !== null) this.send({ type: 'attention', step: this.step, snapshot: attention });
      const activations = this.text.activationSnapshot(this.model, this.project.graph, this.probe);
      if (activations !== null) this.send({ type: 'activations', step: this.step, snapshot: activations });
      return;
    }
    const snapshot = takeSnapshot(this.model, this.project.graph, this.dataset!, this.probe);
    if (snapshot !== null) this.send({ type: 'activations', step: this.step, snapshot });
  }

  private end(message: DeviceToMainMessage): void {
    this.saveCheckpoint();
    this.sendSnapshot();
    this.state = 'finished';
    this.finish(message);
  }
}

export function createOptimizer(project: ProjectFile, parameters: Map<string, Tensor>): Optimizer {
  const { training } = project;
  switch (training.optimizer) {
    case 'sgd':
      return new SGD(parameters, { learningRate: training.learningRate, momentum: training.momentum });
    case 'adamw':
      return new AdamW(parameters, { learningRate: training.learningRate, weightDecay: training.weightDecay ?? 0.01 });
    default:
      return new Adam(parameters, { learningRate: training.learningRate });
  }
}

/** Returns the warmup-cosine schedule, which decays to a tenth of the learning rate over the whole run, or null for a constant rate. */
export function createSchedule(project: ProjectFile, totalSteps: number): ((step: number) => number) | null {
  const { training } = project;
  if (training.schedule !== 'warmup-cosine') return null;
  const warmupSteps = training.warmupSteps ?? 0;
  if (warmupSteps >= totalSteps) {
    throw new DeviceRunError(
      `training.warmupSteps is ${warmupSteps} but the run has only ${totalSteps} steps; lower warmupSteps below ${totalSteps} or train for more epochs.`,
    );
  }
  return warmupCosineSchedule({ baseLearningRate: training.learningRate, warmupSteps, totalSteps, minLearningRate: training.learningRate / 10 });
}

function perSecond(count: number, durationMs: number): number {
  return durationMs > 0 ? (count * 1000) / durationMs : 0;
}

/** Counts rows of `scores` ([B, classCount], row-major) whose largest entry is at the label. */
export function countCorrect(scores: Float32Array, classCount: number, labels: Int32Array): number {
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let column = 1; column < classCount; column++) {
      if (scores[row * classCount + column] > scores[row * classCount + best]) best = column;
    }
    if (best === labels[row]) correct += 1;
  }
  return correct;
}

/** Turns a caught error into the device's error message, with the node id where the error names one. */
export function errorMessage(error: unknown): Extract<DeviceToMainMessage, { type: 'error' }> {
  const message = errorText(error);
  const nodeId = nodeIdOf(error);
  return nodeId === undefined ? { type: 'error', message } : { type: 'error', message, nodeId };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nodeIdOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { nodeId, issues } = error as { nodeId?: unknown; issues?: unknown };
  if (typeof nodeId === 'string') return nodeId;
  if (Array.isArray(issues)) {
    const located = issues.find((issue: { nodeId?: unknown }) => typeof issue?.nodeId === 'string') as { nodeId: string } | undefined;
    return located?.nodeId;
  }
  return undefined;
}
