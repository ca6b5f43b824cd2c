/**
 * Cost estimates from a device's step report as the app receives it, so the
 * canvas can show a step on another link (or with edited latency and bandwidth)
 * without training again.
 */

import type { LinkSettings, ParallelStepReport, StepCostEstimate } from '../../shared/api';
import { COLLECTIVE_KINDS, type AccountingSnapshot, type CollectiveCounters } from './accounting';
import { estimateStep, LINK_PRESETS, withLink, type LinkModel } from './costModel';
import { STEP_PHASES, type CollectiveRecord, type StepPhase, type StepReport } from './stepRecorder';

/** Returns the link of `settings`: a preset with the given numbers replaced, or the user's own link. */
export function linkOfSettings(settings: LinkSettings): LinkModel {
  const changes: Partial<LinkModel> = {
    ...(settings.bandwidthBytesPerSecond === undefined ? {} : { bandwidthBytesPerSecond: settings.bandwidthBytesPerSecond }),
    ...(settings.latencyMs === undefined ? {} : { latencyMs: settings.latencyMs }),
  };
  if (settings.preset === 'custom') return withLink({ name: 'custom link', bandwidthBytesPerSecond: Number.NaN, latencyMs: Number.NaN }, changes);
  return withLink(LINK_PRESETS[settings.preset], changes);
}

/** Estimates the step of `report` on the link of `settings`: measured compute plus modelled communication. */
export function estimateReportedStep(report: ParallelStepReport, settings: LinkSettings): StepCostEstimate {
  const estimate = estimateStep(toStepReport(report), linkOfSettings(settings));
  return {
    linkName: estimate.link.name,
    bandwidthBytesPerSecond: estimate.link.bandwidthBytesPerSecond,
    latencyMs: estimate.link.latencyMs,
    computeMs: estimate.computeMs,
    communicationMs: estimate.communicationMs,
    stepMs: estimate.stepMs,
    timeline: estimate.timeline,
  };
}

function toStepReport(report: ParallelStepReport): StepReport {
  const byPhase = {} as Record<StepPhase, AccountingSnapshot>;
  for (const phase of STEP_PHASES) byPhase[phase] = snapshotOf(report.collectivesByPhase[phase]);
  return {
    byPhase,
    total: snapshotOf(report.collectives),
    collectives: report.collectiveCalls.map((call) => ({ ...call, phase: call.phase as StepPhase }) satisfies CollectiveRecord),
    timeline: report.timeline,
    computeMs: report.computeMs,
    communicationMs: report.communicationMs,
    durationMs: report.timeline.reduce((end, span) => Math.max(end, span.endMs), 0),
  };
}

function snapshotOf(byKind: ParallelStepReport['collectives'] | undefined): AccountingSnapshot {
  const total: CollectiveCounters = { calls: 0, bytesSent: 0, bytesReceived: 0 };
  const copy = {} as AccountingSnapshot['byKind'];
  for (const kind of COLLECTIVE_KINDS) {
    const counters = byKind?.[kind] ?? { calls: 0, bytesSent: 0, bytesReceived: 0 };
    copy[kind] = { ...counters };
    total.calls += counters.calls;
    total.bytesSent += counters.bytesSent;
    total.bytesReceived += counters.bytesReceived;
  }
  return { byKind: copy, total };
}
