import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunEvent } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import type { DeviceLauncher } from '../devices/launcher';
import { readProjectFile } from '../services/projectFiles';
import { createServices } from '../services/services';
import { validateRunProject } from '../services/runValidation';
import { checkpointPathBeside } from '../trainer/checkpointPaths';
import { formatEpochLine, tokenNameOf } from '../trainer/progressLog';
import { parseCheckpointFlag, parseCommandArgs, parseIntegerFlag } from './args';
import type { CliOutput } from './output';
import { ProgressBar } from './progressBar';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, TRAIN_HELP, UsageError } from './usage';
import { formatIssueLine, reportIssues } from './validate';

interface TrainOptions {
  path: string;
  epochs: number | undefined;
  seed: number | undefined;
  json: boolean;
  checkpoint: string | undefined;
  resume: boolean;
  devices: number | undefined;
}

function parseTrainArgs(argv: string[]): TrainOptions | 'help' {
  const { values, positionals } = parseCommandArgs(
    'train',
    argv,
    {
      epochs: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      checkpoint: { type: 'string' },
      resume: { type: 'boolean' },
      devices: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    parseArgs,
  );
  if (values.help === true) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'train needs a project file: tensorloom train <project.json>.' : `train takes one project file, got ${positionals.length}.`,
      'tensorloom train --help',
    );
  }
  return {
    path: positionals[0],
    epochs: values.epochs === undefined ? undefined : parseIntegerFlag('train', '--epochs', String(values.epochs), 1),
    seed: values.seed === undefined ? undefined : parseIntegerFlag('train', '--seed', String(values.seed), 0),
    json: values.json === true,
    checkpoint: typeof values.checkpoint === 'string' ? parseCheckpointFlag('train', values.checkpoint) : undefined,
    resume: values.resume === true,
    devices: values.devices === undefined ? undefined : parseIntegerFlag('train', '--devices', String(values.devices), 1),
  };
}

/** Trains a project file headless; resolves with the exit status. */
export async function runTrain(argv: string[], output: CliOutput, launcher: DeviceLauncher): Promise<number> {
  const options = parseTrainArgs(argv);
  if (options === 'help') {
    output.stdout(TRAIN_HELP);
    return EXIT_OK;
  }

  const { result } = readProjectFile(options.path);
  // The trainer checks again before launching; checking here reports the issues once, without log lines.
  const issues = result.ok ? validateRunProject(result.project) : result.issues;
  if (!result.ok || issues.length > 0) {
    reportIssues(output, options.path, issues, 'training did not start');
    return EXIT_FAILURE;
  }
  const project: ProjectFile = {
    ...result.project,
    training: {
      ...result.project.training,
      ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    },
  };

  const checkpointPath = resolve(options.checkpoint ?? checkpointPathBeside(options.path));
  if (options.resume && !existsSync(checkpointPath)) {
    output.stderr(`Error: cannot resume: there is no checkpoint at ${checkpointPath}. Train once without --resume, or pass --checkpoint PATH.\n`);
    return EXIT_FAILURE;
  }
  const services = createServices({
    launcher,
    dialogHost: null,
    checkpointPathFor: () => checkpointPath,
    projectFolder: dirname(resolve(options.path)),
  });
  const reporter = new TrainReporter(project, options.json, output);
  const ended = new Promise<number>((resolve) => {
    services.onDidRunEvent((event) => {
      const exitCode = reporter.handle(event);
      if (exitCode !== null) resolve(exitCode);
    });
  });

  let interrupted = false;
  const onInterrupt = (): void => {
    if (interrupted) {
      output.stderr('Interrupted again: killing the device and exiting.\n');
      services.dispose();
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    output.stderr('\nInterrupted: stopping the run after the current step (press Ctrl+C again to quit at once).\n');
    services.stopRun().catch(() => services.dispose());
  };
  process.on('SIGINT', onInterrupt);

  try {
    output.stderr(
      `Training "${project.name}" on ${project.dataset.id}: ${project.training.epochs} epochs, batch size ${project.training.batchSize}, ` +
        `${project.training.optimizer} learning rate ${project.training.learningRate}, seed ${project.training.seed}\n`,
    );
    try {
      await services.startRun(project, { resume: options.resume, ...(options.devices === undefined ? {} : { deviceCount: options.devices }) });
    } catch (error) {
      // The trainer already published the error event, which the reporter printed.
      if (!reporter.reportedError) output.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILURE;
    }
    const exitCode = await ended;
    return interrupted && exitCode === EXIT_OK ? EXIT_INTERRUPTED : exitCode;
  } finally {
    process.off('SIGINT', onInterrupt);
    services.dispose();
  }
}

/** Turns run events into stderr lines, a progress bar and, with --json, JSON lines on stdout. */
class TrainReporter {
  reportedError = false;
  private lastCheckpoint: string | null = null;
  private lastEpoch: Extract<RunEvent, { kind: 'epoch' }> | null = null;
  private readonly progress: ProgressBar | null;
  private readonly startedMs = Date.now();
  private stepsPerEpoch = 0;

  constructor(
    private readonly project: ProjectFile,
    private readonly json: boolean,
    private readonly output: CliOutput,
  ) {
    this.progress = output.stderrIsTty ? new ProgressBar(output) : null;
  }

  /** Handles one event; returns the exit status once the run has ended, otherwise null. */
  handle(event: RunEvent): number | null {
    const totalEpochs = this.project.training.epochs;
    switch (event.kind) {
      case 'started':
        this.stepsPerEpoch = event.stepsPerEpoch;
        return null;
      case 'step':
        this.progress?.update(event.epoch, totalEpochs, event.step - (event.epoch - 1) * this.stepsPerEpoch, this.stepsPerEpoch, event.loss);
        return null;
      case 'epoch':
        this.lastEpoch = event;
        this.progress?.clear();
        this.output.stderr(`${formatEpochLine({ ...event, totalEpochs, tokenName: tokenNameOf(this.project.dataset.tokenizer) })}\n`);
        this.writeJson({
          event: 'epoch',
          epoch: event.epoch,
          trainLoss: event.trainLoss,
          testLoss: event.testLoss,
          testAccuracy: event.testAccuracy,
          samplesPerSecond: event.samplesPerSecond,
          durationMs: event.durationMs,
          ...(event.unigramEntropyNats === undefined ? {} : { unigramEntropyNats: event.unigramEntropyNats, tokensPerSecond: event.tokensPerSecond }),
        });
        return null;
      case 'checkpoint':
        this.lastCheckpoint = event.path;
        return null;
      case 'parallel-started': {
        const { plan, devicePids } = event;
        this.output.stderr(
          `Running on ${devicePids.length} device processes (pids ${devicePids.join(', ')}): data ${plan.dataParallel} × tensor ${plan.tensorParallel}` +
            `${plan.sequenceParallel ? ', sequence parallel' : ''}\n`,
        );
        this.writeJson({ event: 'parallel-started', plan, devicePids });
        return null;
      }
      case 'done': {
        this.progress?.clear();
        const durationMs = Date.now() - this.startedMs;
        const accuracy = event.testAccuracy === null ? 'n/a' : `${(event.testAccuracy * 100).toFixed(2)}%`;
        const entropy = this.lastEpoch?.unigramEntropyNats;
        const result =
          entropy === undefined
            ? `test accuracy ${accuracy}`
            : `validation loss ${this.lastEpoch!.testLoss.toFixed(4)} nats/${tokenNameOf(this.project.dataset.tokenizer)} (unigram entropy ${entropy.toFixed(4)})`;
        this.output.stderr(`${event.reason === 'completed' ? 'Done' : 'Stopped'} after ${event.epochs} epochs in ${(durationMs / 1000).toFixed(1)} s, ${result}\n`);
        if (this.lastCheckpoint !== null) this.output.stderr(`Checkpoint written to ${this.lastCheckpoint}\n`);
        this.writeJson({ event: 'done', reason: event.reason, epochs: event.epochs, testAccuracy: event.testAccuracy, durationMs, checkpoint: this.lastCheckpoint });
        return EXIT_OK;
      }
      case 'error':
        this.progress?.clear();
        this.reportedError = true;
        if (event.issues !== undefined && event.issues.length > 0) {
          this.output.stderr(`Error: the project has ${event.issues.length} issue${event.issues.length === 1 ? '' : 's'}, so training did not start\n`);
          for (const issue of event.issues) this.output.stderr(`  ${formatIssueLine(issue)}\n`);
        } else {
          this.output.stderr(`Error${event.nodeId === undefined ? '' : ` in node ${event.nodeId}`}: ${event.message}\n`);
        }
        this.writeJson({ event: 'error', message: event.message, nodeId: event.nodeId ?? null, issues: event.issues ?? [] });
        return EXIT_FAILURE;
      default:
        // Snapshots, state changes and generation tokens do not change what the command prints.
        return null;
    }
  }

  private writeJson(record: Record<string, unknown>): void {
    if (this.json) this.output.stdout(`${JSON.stringify(record)}\n`);
  }
}
