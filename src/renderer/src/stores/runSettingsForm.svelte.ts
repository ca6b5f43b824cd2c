/**
 * Field errors of the run settings form. A field with an invalid value keeps the
 * last valid value in the project and reports its error here, so the Train button
 * can stay disabled until every field is valid.
 */

import { SvelteMap } from 'svelte/reactivity';
import { defineContext } from '../lib/context';

export class RunSettingsForm {
  readonly #errors = new SvelteMap<string, string>();

  readonly hasErrors = $derived(this.#errors.size > 0);
  readonly errorCount = $derived(this.#errors.size);

  setError(field: string, message: string | null): void {
    if (message === null) this.#errors.delete(field);
    else if (this.#errors.get(field) !== message) this.#errors.set(field, message);
  }
}

export const runSettingsContext = defineContext<RunSettingsForm>('RunSettingsForm');
