/**
 * Picks the app services implementation at startup: the preload's
 * `window.tensorloom` inside Electron, the WebSocket client in a plain browser.
 */

import type { TensorloomApi, Unsubscribe } from '../../../shared/api';
import { createWebClient, type ConnectionState } from './webClient';

export interface AppApi {
  api: TensorloomApi;
  /** Reports whether the services can be reached, with a reason when they cannot. */
  onDidChangeConnection(listener: (state: ConnectionState, reason: string | null) => void): Unsubscribe;
}

export function selectApi(host: Window): AppApi {
  const preloaded = (host as Window & { tensorloom?: TensorloomApi }).tensorloom;
  if (preloaded !== undefined) {
    return {
      api: preloaded,
      onDidChangeConnection(listener) {
        listener('open', null);
        return () => undefined;
      },
    };
  }

  const client = createWebClient(host.location.href);
  return { api: client, onDidChangeConnection: (listener) => client.onDidChangeConnection(listener) };
}
