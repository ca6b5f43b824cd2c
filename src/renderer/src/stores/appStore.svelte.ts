/** App-wide state of the services: the API, whether it is reachable, and the dataset list. */

import type { DatasetInfo, TensorloomApi } from '../../../shared/api';
import type { AppApi } from '../api/selectApi';
import type { ConnectionState } from '../api/webClient';
import { DATASETS } from '../../../engine/data/catalog';
import { defineContext } from '../lib/context';

export class AppStore {
  readonly api: TensorloomApi;
  connection = $state<ConnectionState>('connecting');
  /** Reason the services cannot be reached, shown in the banner, or null while connected. */
  connectionProblem = $state<string | null>(null);
  /** Datasets from the services, or the built-in catalog until they reply. */
  datasets = $state.raw<readonly DatasetInfo[]>(DATASETS);
  datasetsError = $state<string | null>(null);
  helpOpen = $state(false);

  readonly #appApi: AppApi;

  constructor(appApi: AppApi) {
    this.#appApi = appApi;
    this.api = appApi.api;
  }

  /** Starts following the connection and loads the dataset list; returns the cleanup function. */
  connect(): () => void {
    const unsubscribe = this.#appApi.onDidChangeConnection((state, reason) => {
      this.connection = state;
      this.connectionProblem = reason;
    });
    this.api.listDatasets().then(
      (datasets) => {
        this.datasets = datasets;
        this.datasetsError = null;
      },
      (error: unknown) => {
        this.datasetsError = `Could not load the dataset list: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
    return unsubscribe;
  }
}

export const appContext = defineContext<AppStore>('AppStore');
