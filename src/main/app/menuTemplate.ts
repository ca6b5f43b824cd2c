/**
 * The application menu as plain data, so it can be checked without Electron.
 * The Electron entry turns it into a `Menu`, sending each item's command to the
 * renderer on the menu-command channel.
 */

import type { MenuCommand } from '../../shared/ipc';

export type MenuItemSpec =
  | { kind: 'command'; label: string; command: MenuCommand; accelerator?: string }
  | { kind: 'role'; role: 'quit' | 'about' | 'toggleDevTools' | 'reload' | 'copy' | 'paste' | 'cut' | 'selectAll' | 'undo' | 'redo' }
  | { kind: 'separator' }
  | { kind: 'submenu'; label: string; items: MenuItemSpec[] };

export interface MenuSpec {
  label: string;
  items: MenuItemSpec[];
}

export function buildMenuTemplate(platform: NodeJS.Platform, isPackaged: boolean): MenuSpec[] {
  const file: MenuSpec = {
    label: 'File',
    items: [
      { kind: 'command', label: 'New', command: 'new-project', accelerator: 'CmdOrCtrl+N' },
      { kind: 'command', label: 'Open…', command: 'open-project', accelerator: 'CmdOrCtrl+O' },
      { kind: 'separator' },
      { kind: 'command', label: 'Save', command: 'save-project', accelerator: 'CmdOrCtrl+S' },
      { kind: 'command', label: 'Save As…', command: 'save-project-as', accelerator: 'CmdOrCtrl+Shift+S' },
      { kind: 'separator' },
      {
        kind: 'submenu',
        label: 'Export',
        items: [
          { kind: 'command', label: 'Config…', command: 'export-config' },
          { kind: 'command', label: 'Weights (safetensors)…', command: 'export-safetensors' },
          { kind: 'command', label: 'ONNX…', command: 'export-onnx' },
          { kind: 'command', label: 'PyTorch…', command: 'export-pytorch' },
        ],
      },
      { kind: 'command', label: 'Import weights…', command: 'import-weights' },
      { kind: 'separator' },
      { kind: 'role', role: 'quit' },
    ],
  };
  // Text fields need the standard edit roles for copy and paste shortcuts to work on macOS.
  const edit: MenuSpec = {
    label: 'Edit',
    items: [
      { kind: 'role', role: 'undo' },
      { kind: 'role', role: 'redo' },
      { kind: 'separator' },
      { kind: 'role', role: 'cut' },
      { kind: 'role', role: 'copy' },
      { kind: 'role', role: 'paste' },
      { kind: 'role', role: 'selectAll' },
    ],
  };
  const run: MenuSpec = {
    label: 'Run',
    items: [
      { kind: 'command', label: 'Train', command: 'run-train', accelerator: 'F5' },
      { kind: 'command', label: 'Pause', command: 'run-pause', accelerator: 'F6' },
      { kind: 'command', label: 'Step', command: 'run-step', accelerator: 'F10' },
      { kind: 'command', label: 'Stop', command: 'run-stop', accelerator: 'Shift+F5' },
    ],
  };
  const help: MenuSpec = {
    label: 'Help',
    items: [
      { kind: 'command', label: 'Tensorloom Help', command: 'show-help', accelerator: 'F1' },
      ...(platform === 'darwin' ? [] : [{ kind: 'role', role: 'about' } as const]),
      ...(isPackaged ? [] : [{ kind: 'separator' } as const, { kind: 'role', role: 'toggleDevTools' } as const]),
    ],
  };
  return [file, edit, run, help];
}
