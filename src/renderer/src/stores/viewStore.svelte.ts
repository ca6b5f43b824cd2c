/**
 * View state of the panels, kept out of the project file: the view beside the
 * loss chart, the attention nodes that list their heads on the canvas, and the
 * head the attention view draws.
 */

import { SvelteSet } from 'svelte/reactivity';
import { defineContext } from '../lib/context';

export type InsightView = 'activations' | 'attention' | 'generate' | 'devices';

/** One head of one attention node; `head` counts from 0 as the parameter names do (`heads.0`). */
export interface HeadRef {
  nodeId: string;
  head: number;
}

export class ViewStore {
  insightView = $state<InsightView>('activations');
  /** Attention nodes whose heads are listed on the canvas. */
  readonly expandedNodes = new SvelteSet<string>();
  /** The head the attention view draws; null shows the first head of the first attention node. */
  attentionHead = $state.raw<HeadRef | null>(null);

  show(view: InsightView): void {
    this.insightView = view;
  }

  toggleHeads(nodeId: string): void {
    if (this.expandedNodes.has(nodeId)) this.expandedNodes.delete(nodeId);
    else this.expandedNodes.add(nodeId);
  }

  /** Shows one head in the attention view. */
  selectHead(head: HeadRef): void {
    this.attentionHead = head;
    this.insightView = 'attention';
  }
}

export const viewContext = defineContext<ViewStore>('ViewStore');
