/**
 * The preload script: exposes the app services to the sandboxed renderer as one
 * typed object, `window.tensorloom`, built from the shared method list. Raw
 * ipcRenderer never reaches the page.
 */

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, apiChannel, RUN_EVENT_CHANNEL, type RunEvent, type TensorloomApi } from '../shared/api';
import { MENU_COMMAND_CHANNEL, MENU_COMMANDS, type DesktopApi, type MenuCommand } from '../shared/ipc';

type MethodTable = Omit<TensorloomApi, 'platform' | 'onDidRunEvent'>;

const methods = Object.fromEntries(
  API_METHODS.map((method) => [method, (...args: unknown[]) => ipcRenderer.invoke(apiChannel(method), ...args)]),
) as unknown as MethodTable;

function subscribe<T>(channel: string, listener: (payload: T) => void, accept: (payload: unknown) => boolean = () => true): () => void {
  // Only the payload is passed on: the IPC event object would hand the page a way to reach ipcRenderer.
  const handler = (_event: IpcRendererEvent, payload: unknown): void => {
    if (accept(payload)) listener(payload as T);
  };
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const api: DesktopApi = {
  platform: 'electron',
  ...methods,
  onDidRunEvent: (listener: (event: RunEvent) => void) => subscribe(RUN_EVENT_CHANNEL, listener),
  onDidMenuCommand: (listener: (command: MenuCommand) => void) =>
    subscribe(MENU_COMMAND_CHANNEL, listener, (payload) => (MENU_COMMANDS as readonly unknown[]).includes(payload)),
};

contextBridge.exposeInMainWorld('tensorloom', api);
