/**
 * State of the Devices view: the plan of the current parallel run and each
 * device's step reports, the link of the step estimate, and the result of the
 * check against one device.
 */

import type {
  LinkSettings,
  ParallelCheckResult,
  ParallelPlanSummary,
  ParallelStepReport,
  RunEvent,
  TensorloomApi,
} from '../../../shared/api';
import type { ProjectFile, ProjectIssue } from '../../../shared/project';
import { LINK_PRESETS } from '../../../engine/parallel/costModel';
import { defineContext } from '../lib/context';

/** Steps whose reports are kept; older steps are dropped. */
const MAX_KEPT_STEPS = 100;

/** Every device's report of one step, by device index (a device that did not report this step is missing). */
export interface StepReports {
  step: number;
  devices: ParallelStepReport[];
}

/** Source of the shown reports: the current or last run, or the last check against one device. */
export type ReportSource = 'run' | 'check';

export type LinkPreset = LinkSettings['preset'];

export interface CheckError {
  message: string;
  issues: ProjectIssue[];
}

/** The largest difference the plan may have from one device, for the loss and for every parameter. */
export const CHECK_TOLERANCE = 1e-5;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class DeviceStore {
  plan = $state.raw<ParallelPlanSummary | null>(null);
  runSteps = $state.raw<StepReports[]>([]);
  source = $state<ReportSource>('run');
  /** Step shown in the view; null follows the latest step. */
  selectedStep = $state<number | null>(null);

  linkPreset = $state<LinkPreset>('nvlink');
  bandwidthBytesPerSecond = $state(LINK_PRESETS.nvlink.bandwidthBytesPerSecond);
  latencyMs = $state(LINK_PRESETS.nvlink.latencyMs);

  checkSteps = $state(3);
  checking = $state(false);
  checkResult = $state.raw<ParallelCheckResult | null>(null);
  checkError = $state.raw<CheckError | null>(null);

  readonly #api: TensorloomApi;
  #runId: string | null = null;

  constructor(api: TensorloomApi) {
    this.#api = api;
  }

  readonly steps = $derived.by((): StepReports[] => {
    if (this.source === 'run' || this.checkResult === null) return this.runSteps;
    return this.checkResult.stepReports.map((devices) => ({ step: devices[0]?.step ?? 0, devices }));
  });

  readonly shownPlan = $derived(this.source === 'check' && this.checkResult !== null ? this.checkResult.plan : this.plan);

  readonly shown = $derived.by((): StepReports | null => {
    const steps = this.steps;
    if (this.selectedStep !== null) {
      const chosen = steps.find((entry) => entry.step === this.selectedStep);
      if (chosen !== undefined) return chosen;
    }
    return steps.at(-1) ?? null;
  });

  /** The link of the estimate as the services take it. */
  readonly link = $derived<LinkSettings>({
    preset: this.linkPreset,
    bandwidthBytesPerSecond: this.bandwidthBytesPerSecond,
    latencyMs: this.latencyMs,
  });

  /** Subscribes to run events; returns the unsubscribe function. */
  connect(): () => void {
    return this.#api.onDidRunEvent((event) => this.handleEvent(event));
  }

  handleEvent(event: RunEvent): void {
    if (event.kind === 'parallel-started') {
      this.#runId = event.runId;
      this.plan = event.plan;
      this.runSteps = [];
      this.selectedStep = null;
      this.source = 'run';
      return;
    }
    if (event.kind !== 'parallel-step') return;
    // A page opened during a run missed its `parallel-started` event and follows the run it joined.
    if (this.#runId === null) this.#runId = event.runId;
    if (event.runId !== this.#runId) return;

    const { report } = event;
    // Devices of one step report at slightly different times, so a report may belong to an earlier step.
    const others = this.runSteps.filter((entry) => entry.step !== report.step);
    const existing = this.runSteps.find((entry) => entry.step === report.step);
    const devices = [...(existing?.devices ?? []).filter((device) => device.deviceIndex !== report.deviceIndex), report];
    devices.sort((a, b) => a.deviceIndex - b.deviceIndex);
    const next = [...others, { step: report.step, devices }].sort((a, b) => a.step - b.step);
    this.runSteps = next.slice(-MAX_KEPT_STEPS);
  }

  /** Switches the link to a preset and fills its numbers into the fields. */
  choosePreset(preset: LinkPreset): void {
    this.linkPreset = preset;
    if (preset === 'custom') return;
    this.bandwidthBytesPerSecond = LINK_PRESETS[preset].bandwidthBytesPerSecond;
    this.latencyMs = LINK_PRESETS[preset].latencyMs;
  }

  /** Replaces the bandwidth or latency of the chosen link with the user's number. */
  setLinkNumbers(changes: { bandwidthBytesPerSecond?: number; latencyMs?: number }): void {
    if (changes.bandwidthBytesPerSecond !== undefined) this.bandwidthBytesPerSecond = changes.bandwidthBytesPerSecond;
    if (changes.latencyMs !== undefined) this.latencyMs = changes.latencyMs;
  }

  async check(project: ProjectFile): Promise<void> {
    this.checking = true;
    this.checkError = null;
    try {
      this.checkResult = await this.#api.checkParallel(project, { steps: this.checkSteps, link: this.link });
      this.source = 'check';
      this.selectedStep = null;
    } catch (error) {
      const issues = (error as { issues?: ProjectIssue[] } | null)?.issues;
      this.checkError = { message: errorMessage(error), issues: Array.isArray(issues) ? issues : [] };
    } finally {
      this.checking = false;
    }
  }
}

export const deviceContext = defineContext<DeviceStore>('DeviceStore');
