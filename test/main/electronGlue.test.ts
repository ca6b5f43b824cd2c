// The Electron binary cannot run here, so these check the Electron-facing logic
// (menu, IPC forwarding, navigation policy) with a stand-in for ipcMain.
import { describe, expect, it } from 'vitest';
import { registerApiHandlers, type IpcMainLike } from '../../src/main/app/ipcHandlers';
import { buildMenuTemplate } from '../../src/main/app/menuTemplate';
import { isAllowedRequest, isAppUrl } from '../../src/main/app/navigation';
import type { AppServices } from '../../src/main/services/services';
import { API_METHODS, apiChannel } from '../../src/shared/api';
import { MENU_COMMANDS } from '../../src/shared/ipc';

const RENDERER = 'file:///opt/tensorloom/out/renderer/index.html';

type Handler = Parameters<IpcMainLike['handle']>[1];

function fakeIpc(): IpcMainLike & { handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel, listener) => handlers.set(channel, listener),
    removeHandler: (channel) => handlers.delete(channel),
  };
}

describe('registerApiHandlers', () => {
  it('registers one channel per API method', () => {
    const ipc = fakeIpc();
    registerApiHandlers(ipc, {} as AppServices, () => true);

    expect([...ipc.handlers.keys()]).toEqual(API_METHODS.map(apiChannel));
  });

  it('forwards a call with its arguments', async () => {
    const ipc = fakeIpc();
    const calls: unknown[][] = [];
    const services = { parseProject: async (...args: unknown[]) => (calls.push(args), 'parsed') } as unknown as AppServices;
    registerApiHandlers(ipc, services, () => true);

    const result = await ipc.handlers.get('tensorloom:parseProject')!({ senderFrame: { url: RENDERER } }, '{}', 'a.json');

    expect(result).toBe('parsed');
    expect(calls).toEqual([['{}', 'a.json']]);
  });

  it('rejects calls from a frame outside the app', async () => {
    const ipc = fakeIpc();
    registerApiHandlers(ipc, { getRunStatus: async () => 'status' } as unknown as AppServices, (url) => isAppUrl(url, RENDERER, undefined));

    await expect(ipc.handlers.get('tensorloom:getRunStatus')!({ senderFrame: { url: 'https://evil.example/' } })).rejects.toThrow(
      'getRunStatus is only available to the Tensorloom window.',
    );
  });

  it('removes its handlers', () => {
    const ipc = fakeIpc();
    const unregister = registerApiHandlers(ipc, {} as AppServices, () => true);

    unregister();

    expect(ipc.handlers.size).toBe(0);
  });
});

describe('buildMenuTemplate', () => {
  it('has File, Run and Help menus with the required items', () => {
    const menus = buildMenuTemplate('linux', true);
    const labels = (menu: string): string[] => {
      const items = menus.find((spec) => spec.label === menu)!.items;
      const names: string[] = [];
      for (const item of items) {
        if (item.kind === 'command') names.push(item.label);
        if (item.kind === 'role') names.push(item.role);
      }
      return names;
    };

    expect(labels('File')).toEqual(['New', 'Open…', 'Save', 'Save As…', 'Import weights…', 'quit']);
    expect(labels('Run')).toEqual(['Train', 'Pause', 'Step', 'Stop']);
    expect(labels('Help')).toContain('Tensorloom Help');
  });

  it('sends only known menu commands', () => {
    const commands = buildMenuTemplate('linux', false).flatMap((menu) => menu.items.flatMap((item) => (item.kind === 'command' ? [item.command] : [])));

    for (const command of commands) expect(MENU_COMMANDS).toContain(command);
  });
});

describe('navigation policy', () => {
  it('allows the built renderer and its assets', () => {
    expect(isAppUrl(RENDERER, RENDERER, undefined)).toBe(true);
    expect(isAllowedRequest('file:///opt/tensorloom/out/renderer/assets/index.js', RENDERER, undefined)).toBe(true);
  });

  it('blocks remote and other local content', () => {
    expect(isAppUrl('https://example.com/', RENDERER, undefined)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', RENDERER, undefined)).toBe(false);
    expect(isAllowedRequest('http://127.0.0.1:8080/x.js', RENDERER, undefined)).toBe(false);
  });

  it('allows the dev server only in development', () => {
    expect(isAppUrl('http://localhost:5173/', RENDERER, 'http://localhost:5173')).toBe(true);
    expect(isAllowedRequest('ws://localhost:5173/', RENDERER, 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5173/', RENDERER, undefined)).toBe(false);
  });
});
