/**
 * Electron IPC handlers for the app services, one per method in API_METHODS on
 * its `apiChannel`. Written against a minimal `ipcMain`-like interface so it can
 * be checked without Electron.
 */

import { API_METHODS, apiChannel, type ApiMethod } from '../../shared/api';
import { createLogger, describeError } from '../log';
import type { AppServices } from '../services/services';

const log = createLogger('ipc');

/** The part of Electron's `ipcMain` the handlers use. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Registers a handler per API method that forwards to `services`. Calls from a frame
 * that `isTrustedUrl` rejects (content that is not the app) fail without reaching the services.
 */
export function registerApiHandlers(ipc: IpcMainLike, services: AppServices, isTrustedUrl: (url: string) => boolean): () => void {
  for (const method of API_METHODS) {
    ipc.handle(apiChannel(method), async (event, ...args) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedUrl(url)) {
        log.warn(`rejected ${method} from untrusted frame ${url || '(unknown)'}`);
        throw new Error(`${method} is only available to the Tensorloom window.`);
      }
      try {
        return await callService(services, method, args);
      } catch (error) {
        log.debug(`${method} failed: ${describeError(error)}`);
        throw error;
      }
    });
  }
  return () => {
    for (const method of API_METHODS) ipc.removeHandler(apiChannel(method));
  };
}

function callService(services: AppServices, method: ApiMethod, args: unknown[]): Promise<unknown> {
  const target = services[method] as (...callArgs: unknown[]) => Promise<unknown>;
  return target(...args);
}
