/** Which view the panel beside the loss chart shows: activations, attention or generation. */

import { defineContext } from '../lib/context';

export type InsightView = 'activations' | 'attention' | 'generate';

export class ViewStore {
  insightView = $state<InsightView>('activations');

  show(view: InsightView): void {
    this.insightView = view;
  }
}

export const viewContext = defineContext<ViewStore>('ViewStore');
