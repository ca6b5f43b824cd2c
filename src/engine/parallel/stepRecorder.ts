/**
 * The record of one device's training step: every collective it called (kind,
 * group, bytes, start and end) by phase, and a timeline of compute and
 * communication spans for a chart. The plan executor owns one recorder per device.
 */

import { COLLECTIVE_KINDS, CollectiveAccounting, type AccountingSnapshot, type CollectiveKind } from './accounting';
import type { ProcessGroup } from './group';

/** `gradient-sync` covers the all-reduces between the backward pass and the optimizer step. */
export type StepPhase = 'forward' | 'backward' | 'gradient-sync' | 'optimizer';

export const STEP_PHASES: readonly StepPhase[] = ['forward', 'backward', 'gradient-sync', 'optimizer'];

export interface CollectiveRecord {
  phase: StepPhase;
  kind: CollectiveKind;
  groupName: string;
  groupSize: number;
  /** Bytes of the tensor passed in: the full buffer for all-reduce and reduce-scatter, the shard for all-gather. */
  inputBytes: number;
  bytesSent: number;
  bytesReceived: number;
  startMs: number;
  endMs: number;
}

export interface TimelineSpan {
  kind: 'compute' | 'communication';
  /** The phase for compute spans, the collective kind and group for communication spans. */
  label: string;
  startMs: number;
  endMs: number;
}

export interface StepReport {
  /** Collective calls and bytes by phase and kind. */
  byPhase: Record<StepPhase, AccountingSnapshot>;
  /** The same over the whole step. */
  total: AccountingSnapshot;
  collectives: CollectiveRecord[];
  /** Spans relative to the start of the step. */
  timeline: TimelineSpan[];
  /** Sum of the compute spans. */
  computeMs: number;
  /** Sum of the communication spans, including time spent waiting for peers. */
  communicationMs: number;
  durationMs: number;
}

export type Clock = () => number;

export const defaultClock: Clock = () => globalThis.performance.now();

export class StepRecorder {
  /** The counters every group of the device charges. */
  readonly accounting = new CollectiveAccounting();
  phase: StepPhase = 'forward';
  private records: CollectiveRecord[] = [];
  private spans: TimelineSpan[] = [];
  private stepStartMs = 0;
  private computeStartMs = 0;

  constructor(private readonly clock: Clock = defaultClock) {}

  /** Clears the records and starts the step's first compute span. */
  beginStep(): void {
    this.records = [];
    this.spans = [];
    this.accounting.reset();
    this.phase = 'forward';
    this.stepStartMs = this.clock();
    this.computeStartMs = this.stepStartMs;
  }

  /** Closes the current compute span and starts the next one under `phase`. */
  enterPhase(phase: StepPhase): void {
    this.closeComputeSpan(this.clock());
    this.phase = phase;
  }

  /** Runs collective `run` on `group`, recording its bytes (from the group's counters), phase and time. */
  async collective<T>(kind: CollectiveKind, group: ProcessGroup, input: Float32Array, run: () => Promise<T>): Promise<T> {
    const startMs = this.clock();
    this.closeComputeSpan(startMs);
    const before = group.accounting.snapshot().byKind[kind];
    const result = await run();
    const after = group.accounting.snapshot().byKind[kind];
    const endMs = this.clock();

    this.records.push({
      phase: this.phase,
      kind,
      groupName: group.name,
      groupSize: group.size,
      inputBytes: input.byteLength,
      bytesSent: after.bytesSent - before.bytesSent,
      bytesReceived: after.bytesReceived - before.bytesReceived,
      startMs: startMs - this.stepStartMs,
      endMs: endMs - this.stepStartMs,
    });
    this.spans.push({ kind: 'communication', label: `${kind} ${group.name}`, startMs: startMs - this.stepStartMs, endMs: endMs - this.stepStartMs });
    this.computeStartMs = endMs;
    return result;
  }

  /** Closes the last compute span and returns the step's report. */
  endStep(): StepReport {
    const endMs = this.clock();
    this.closeComputeSpan(endMs);
    const byPhase = {} as Record<StepPhase, AccountingSnapshot>;
    for (const phase of STEP_PHASES) byPhase[phase] = summarize(this.records.filter((record) => record.phase === phase));

    let computeMs = 0;
    let communicationMs = 0;
    for (const span of this.spans) {
      if (span.kind === 'compute') computeMs += span.endMs - span.startMs;
      else communicationMs += span.endMs - span.startMs;
    }
    return {
      byPhase,
      total: summarize(this.records),
      collectives: [...this.records],
      timeline: [...this.spans],
      computeMs,
      communicationMs,
      durationMs: endMs - this.stepStartMs,
    };
  }

  private closeComputeSpan(nowMs: number): void {
    if (nowMs > this.computeStartMs) {
      this.spans.push({ kind: 'compute', label: this.phase, startMs: this.computeStartMs - this.stepStartMs, endMs: nowMs - this.stepStartMs });
    }
    this.computeStartMs = nowMs;
  }
}

function summarize(records: readonly CollectiveRecord[]): AccountingSnapshot {
  const accounting = new CollectiveAccounting();
  for (const record of records) {
    accounting.recordCall(record.kind);
    accounting.recordSent(record.kind, record.bytesSent);
    accounting.recordReceived(record.kind, record.bytesReceived);
  }
  return accounting.snapshot();
}

/** Returns the number of calls of `kind` in `snapshot`, or of all kinds without one. */
export function callCount(snapshot: AccountingSnapshot, kind?: CollectiveKind): number {
  if (kind === undefined) return COLLECTIVE_KINDS.reduce((total, each) => total + snapshot.byKind[each].calls, 0);
  return snapshot.byKind[kind].calls;
}
