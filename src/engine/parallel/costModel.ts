/**
 * A cost model for a step on real links: each recorded collective costs
 * latency × messages in sequence + bytes sent / bandwidth, with the ring
 * formulas. A ring all-reduce over p devices takes 2(p − 1) steps and sends
 * 2(p − 1)/p of the buffer per device. An all-gather or reduce-scatter takes
 * p − 1 steps and sends (p − 1)/p of the full buffer. A binomial broadcast takes
 * ceil(log2 p) rounds of the whole buffer. Compute time is what the device
 * measured. Communication is assumed not to overlap compute.
 */

import type { CollectiveRecord, StepReport, TimelineSpan } from './stepRecorder';

export interface LinkModel {
  name: string;
  /** Bytes per second one device sends to its ring neighbour. */
  bandwidthBytesPerSecond: number;
  /** Time from send to receive of a small message, in milliseconds. */
  latencyMs: number;
}

/**
 * Link presets. NOTE: these are estimates of what a ring achieves, not
 * measurements on this project's hardware: pass your own `LinkModel` (or use
 * `withLink`) for the numbers of a real cluster.
 * - NVLink: an A100 has 12 third-generation links, 600 GB/s in total and so 300 GB/s
 *   per direction (NVIDIA's NVLink product page). The preset assumes 200 GB/s and 5 µs.
 * - PCIe 4.0 x16: 16 GT/s × 16 lanes with 128b/130b coding is 31.5 GB/s per direction.
 *   The preset assumes 25 GB/s and 10 µs.
 * - 100 Gb Ethernet: the line rate is 12.5 GB/s. The preset assumes 11 GB/s and 20 µs,
 *   a latency that needs RDMA.
 */
export const LINK_PRESETS: Readonly<Record<'nvlink' | 'pcie4x16' | 'ethernet100g', LinkModel>> = {
  nvlink: { name: 'NVLink', bandwidthBytesPerSecond: 200e9, latencyMs: 0.005 },
  pcie4x16: { name: 'PCIe 4.0 x16', bandwidthBytesPerSecond: 25e9, latencyMs: 0.01 },
  ethernet100g: { name: '100 Gb Ethernet', bandwidthBytesPerSecond: 11e9, latencyMs: 0.02 },
};

/** Returns a copy of `link` with some of its numbers replaced. */
export function withLink(link: LinkModel, changes: Partial<LinkModel>): LinkModel {
  const result = { ...link, ...changes };
  if (!(result.bandwidthBytesPerSecond > 0) || !Number.isFinite(result.bandwidthBytesPerSecond)) {
    throw new Error(`Link "${result.name}" has bandwidth ${result.bandwidthBytesPerSecond} B/s: use a positive finite number of bytes per second.`);
  }
  if (!(result.latencyMs >= 0) || !Number.isFinite(result.latencyMs)) {
    throw new Error(`Link "${result.name}" has latency ${result.latencyMs} ms: use a non-negative finite number of milliseconds.`);
  }
  return result;
}

/** Returns the sequential message steps of one collective on a ring (or tree, for broadcast) of `groupSize` devices. */
export function collectiveSteps(record: Pick<CollectiveRecord, 'kind' | 'groupSize'>): number {
  const p = record.groupSize;
  if (p <= 1) return 0;
  if (record.kind === 'all-reduce') return 2 * (p - 1);
  if (record.kind === 'broadcast') return Math.ceil(Math.log2(p));
  return p - 1;
}

/** Returns the estimated duration of one recorded collective on `link`, in milliseconds. */
export function estimateCollectiveMs(record: CollectiveRecord, link: LinkModel): number {
  const steps = collectiveSteps(record);
  if (steps === 0) return 0;
  // A broadcast forwards the whole buffer at every level of the tree, and the ring kinds send what was recorded.
  const bytesOnCriticalPath = record.kind === 'broadcast' ? steps * record.inputBytes : record.bytesSent;
  return steps * link.latencyMs + (bytesOnCriticalPath / link.bandwidthBytesPerSecond) * 1000;
}

export interface StepEstimate {
  link: LinkModel;
  /** Measured compute time of the step. */
  computeMs: number;
  /** Estimated communication time on the link. */
  communicationMs: number;
  stepMs: number;
  /** Measured compute spans and estimated communication spans, laid end to end, for a chart. */
  timeline: TimelineSpan[];
}

/** Estimates the step of `report` on `link`: measured compute plus estimated communication, in sequence. */
export function estimateStep(report: StepReport, link: LinkModel): StepEstimate {
  const checkedLink = withLink(link, {});
  const timeline: TimelineSpan[] = [];
  const collectives = [...report.collectives];
  let clockMs = 0;
  let communicationMs = 0;
  for (const span of report.timeline) {
    if (span.kind === 'compute') {
      const durationMs = span.endMs - span.startMs;
      timeline.push({ ...span, startMs: clockMs, endMs: clockMs + durationMs });
      clockMs += durationMs;
      continue;
    }
    const record = collectives.shift();
    const durationMs = record === undefined ? 0 : estimateCollectiveMs(record, checkedLink);
    timeline.push({ ...span, startMs: clockMs, endMs: clockMs + durationMs });
    clockMs += durationMs;
    communicationMs += durationMs;
  }
  return { link: checkedLink, computeMs: report.computeMs, communicationMs, stepMs: report.computeMs + communicationMs, timeline };
}
