/**
 * Picks the app services implementation at startup: the preload's
 * `window.tensorloom` inside Electron, the WebSocket client in a plain browser.
 */

import type { TensorloomApi, Unsubscribe } from '../../../shared/api';
import type { MenuCommand } from '../../../shared/ipc';
import { createWebClient, type ConnectionState } from './webClient';

export interface AppApi {
  api: TensorloomApi;
  /** Reports whether the services can be reached, with a reason when they cannot. */
  onDidChangeConnection(listener: (state: ConnectionState, reason: string | null) => void): Unsubscribe;
  /** Application-menu commands; only the desktop app has a menu. */
  onDidMenuCommand(listener: (command: MenuCommand) => void): Unsubscribe;
}

export function selectApi(host: Window): AppApi {
  const preloaded = host.tensorloom;
  if (preloaded !== undefined) {
    return {
      api: preloaded,
      onDidChangeConnection(listener) {
        listener('open', null);
        return () => undefined;
      },
      onDidMenuCommand: (listener) => preloaded.onDidMenuCommand(listener),
    };
  }

  const client = createWebClient(host.location.href);
  return {
    api: client,
    onDidChangeConnection: (listener) => client.onDidChangeConnection(listener),
    onDidMenuCommand: () => () => undefined,
  };
}
