/**
 * The probe that picks what the device process reports while a run is active:
 * the selected node's activations for one test sample and, for a language model,
 * the attention weights for one input text. The activation and attention views
 * both set it, and one probe with both parts goes to the services on each change.
 */

import type { TensorloomApi } from '../../../shared/api';
import { defineContext } from '../lib/context';
import type { AppStore } from './appStore.svelte';
import type { SelectionStore } from './selectionStore.svelte';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ProbeStore {
  sampleIndex = $state(0);
  /** Text the attention view shows; null means the start of the validation text. */
  text = $state<string | null>(null);
  /** Reason the services rejected the last probe, or null. */
  error = $state<string | null>(null);

  readonly #app: AppStore;
  readonly #selection: SelectionStore;

  constructor(app: AppStore, selection: SelectionStore) {
    this.#app = app;
    this.#selection = selection;
  }

  /** Sends the probe now and after every change, while connected; call from an effect. */
  follow(): void {
    const probe = { nodeId: this.#selection.singleNodeId, sampleIndex: this.sampleIndex, text: this.text };
    if (this.#app.connection !== 'open') return;
    const api: TensorloomApi = this.#app.api;
    api.setActivationProbe(probe).then(
      () => (this.error = null),
      (error: unknown) => (this.error = errorMessage(error)),
    );
  }
}

export const probeContext = defineContext<ProbeStore>('ProbeStore');
