/**
 * Per-device communication counters: how many collectives of each kind a device
 * called and how many payload bytes it sent and received for them. The trainer
 * resets them at the start of a step and reports a snapshot at its end. Only
 * Float32Array payload bytes count, not tags or envelopes.
 */

export type CollectiveKind = 'all-reduce' | 'all-gather' | 'reduce-scatter' | 'broadcast';

export const COLLECTIVE_KINDS: readonly CollectiveKind[] = ['all-reduce', 'all-gather', 'reduce-scatter', 'broadcast'];

export interface CollectiveCounters {
  calls: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface AccountingSnapshot {
  byKind: Record<CollectiveKind, CollectiveCounters>;
  total: CollectiveCounters;
}

export class CollectiveAccounting {
  private counters = emptyCountersByKind();

  recordCall(kind: CollectiveKind): void {
    this.counters[kind].calls += 1;
  }

  recordSent(kind: CollectiveKind, byteCount: number): void {
    this.counters[kind].bytesSent += byteCount;
  }

  recordReceived(kind: CollectiveKind, byteCount: number): void {
    this.counters[kind].bytesReceived += byteCount;
  }

  /** Sets every counter to zero, as at the start of a training step. */
  reset(): void {
    this.counters = emptyCountersByKind();
  }

  /** Returns a copy of the counters with their totals; later calls do not change it. */
  snapshot(): AccountingSnapshot {
    const byKind = emptyCountersByKind();
    const total: CollectiveCounters = { calls: 0, bytesSent: 0, bytesReceived: 0 };
    for (const kind of COLLECTIVE_KINDS) {
      byKind[kind] = { ...this.counters[kind] };
      total.calls += byKind[kind].calls;
      total.bytesSent += byKind[kind].bytesSent;
      total.bytesReceived += byKind[kind].bytesReceived;
    }
    return { byKind, total };
  }
}

/**
 * Formats the kinds that were called, one per clause, for a progress log line:
 * `all-reduce 2 calls 3072 B sent 3072 B received; broadcast 1 call 0 B sent 512 B received`.
 */
export function formatAccounting(snapshot: AccountingSnapshot): string {
  const parts: string[] = [];
  for (const kind of COLLECTIVE_KINDS) {
    const counters = snapshot.byKind[kind];
    if (counters.calls === 0) continue;
    const callWord = counters.calls === 1 ? 'call' : 'calls';
    parts.push(`${kind} ${counters.calls} ${callWord} ${counters.bytesSent} B sent ${counters.bytesReceived} B received`);
  }
  return parts.length === 0 ? 'no collectives' : parts.join('; ');
}

function emptyCountersByKind(): Record<CollectiveKind, CollectiveCounters> {
  return {
    'all-reduce': { calls: 0, bytesSent: 0, bytesReceived: 0 },
    'all-gather': { calls: 0, bytesSent: 0, bytesReceived: 0 },
    'reduce-scatter': { calls: 0, bytesSent: 0, bytesReceived: 0 },
    broadcast: { calls: 0, bytesSent: 0, bytesReceived: 0 },
  };
}
