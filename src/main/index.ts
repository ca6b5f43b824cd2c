/**
 * The Electron entry: one sandboxed window, the application menu, native file
 * dialogs, and IPC handlers that forward to the app services. The work itself
 * lives in files that run under plain Node (services, trainer, launchers).
 */

import { app, BrowserWindow, dialog, ipcMain, Menu, session, type MenuItemConstructorOptions } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RUN_EVENT_CHANNEL } from '../shared/api';
import { MENU_COMMAND_CHANNEL, type MenuCommand } from '../shared/ipc';
import { registerApiHandlers } from './app/ipcHandlers';
import { buildMenuTemplate, type MenuItemSpec, type MenuSpec } from './app/menuTemplate';
import { isAllowedRequest, isAppUrl } from './app/navigation';
import { createElectronLauncher } from './devices/electronLauncher';
import { createLogger } from './log';
import type { ExportDialogHost } from './services/exportService';
import { createServices, type AppServices, type DialogHost } from './services/services';

const log = createLogger('app');

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererIndexPath = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const rendererFileUrl = pathToFileURL(rendererIndexPath).href;
const deviceEntryPath = fileURLToPath(new URL('./device.js', import.meta.url));
/** Set by `electron-vite dev` to the renderer dev server. */
const devServerUrl = process.env.ELECTRON_RENDERER_URL;

let mainWindow: BrowserWindow | null = null;
let services: AppServices | null = null;

const PROJECT_FILTERS = [{ name: 'Tensorloom project', extensions: ['json'] }];

const dialogHost: DialogHost = {
  async showOpenDialog() {
    const options = { title: 'Open project', filters: PROJECT_FILTERS, properties: ['openFile' as const] };
    const result = mainWindow === null ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(mainWindow, options);
    return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
  },
  async showSaveDialog(suggestedPath) {
    const options = { title: 'Save project', defaultPath: suggestedPath, filters: PROJECT_FILTERS };
    const result = mainWindow === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(mainWindow, options);
    return result.canceled || result.filePath === undefined || result.filePath === '' ? null : result.filePath;
  },
  async showTextOpenDialog() {
    const options = {
      title: 'Choose a text file to train on',
      filters: [{ name: 'Text', extensions: ['txt', 'md', 'csv', 'json', 'py', 'js', 'ts'] }, { name: 'All files', extensions: ['*'] }],
      properties: ['openFile' as const],
    };
    const result = mainWindow === null ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(mainWindow, options);
    return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
  },
};

const WEIGHTS_FILTERS = [{ name: 'Safetensors weights', extensions: ['safetensors'] }];

const exportDialogHost: ExportDialogHost = {
  async showExportDialog({ title, defaultPath, filterName, extension }) {
    const options = { title, defaultPath, filters: [{ name: filterName, extensions: [extension] }] };
    const result = mainWindow === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(mainWindow, options);
    return result.canceled || result.filePath === undefined || result.filePath === '' ? null : result.filePath;
  },
  async showWeightsOpenDialog() {
    const options = { title: 'Import weights', filters: WEIGHTS_FILTERS, properties: ['openFile' as const] };
    const result = mainWindow === null ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(mainWindow, options);
    return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
  },
  showProjectOpenDialog: () => dialogHost.showOpenDialog(),
};

function isTrustedUrl(url: string): boolean {
  return isAppUrl(url, rendererFileUrl, devServerUrl);
}

// A window that is closing is destroyed before its 'closed' event clears mainWindow.
function sendToWindow(channel: string, payload: unknown): void {
  if (mainWindow === null || mainWindow.isDestroyed()) return;
  mainWindow.webContents.send(channel, payload);
}

function sendMenuCommand(command: MenuCommand): void {
  sendToWindow(MENU_COMMAND_CHANNEL, command);
}

function toElectronMenuItem(item: MenuItemSpec): MenuItemConstructorOptions {
  if (item.kind === 'separator') return { type: 'separator' };
  if (item.kind === 'role') return { role: item.role };
  if (item.kind === 'submenu') return { label: item.label, submenu: item.items.map(toElectronMenuItem) };
  return { label: item.label, accelerator: item.accelerator, click: () => sendMenuCommand(item.command) };
}

function toElectronMenu(specs: MenuSpec[]): Menu {
  const template: MenuItemConstructorOptions[] = specs.map((spec) => ({
    label: spec.label,
    submenu: spec.items.map(toElectronMenuItem),
  }));
  if (process.platform === 'darwin') template.unshift({ role: 'appMenu' });
  return Menu.buildFromTemplate(template);
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Tensorloom',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });

  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    log.warn(`blocked a new window for ${url}`);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (isTrustedUrl(url)) return;
    log.warn(`blocked navigation to ${url}`);
    event.preventDefault();
  });
  window.on('closed', () => {
    mainWindow = null;
  });

  if (devServerUrl !== undefined && devServerUrl !== '') void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndexPath);
  return window;
}

function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    log.warn(`denied permission request: ${permission}`);
    callback(false);
  });
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, rendererFileUrl, devServerUrl);
    if (!allowed) log.warn(`blocked request to ${details.url}`);
    callback({ cancel: !allowed });
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSession();

  const appServices = createServices({ launcher: createElectronLauncher(deviceEntryPath), dialogHost, exportDialogHost });
  services = appServices;
  registerApiHandlers(ipcMain, appServices, isTrustedUrl);
  appServices.onDidRunEvent((event) => sendToWindow(RUN_EVENT_CHANNEL, event));

  Menu.setApplicationMenu(toElectronMenu(buildMenuTemplate(process.platform, app.isPackaged)));
  mainWindow = createMainWindow();
  log.info('window opened');

  app.on('activate', () => {
    if (mainWindow === null) mainWindow = createMainWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Devices must not outlive the app, whichever way it quits.
app.on('will-quit', () => {
  services?.dispose();
  services = null;
});

start().catch((error: unknown) => {
  log.error('the app failed to start', error);
  app.exit(1);
});
