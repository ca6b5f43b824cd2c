/**
 * Desktop-only IPC additions to the app services: application-menu commands sent
 * from main to the renderer, and the type of `window.tensorloom` that the preload
 * exposes. Web mode has no application menu, so there `window.tensorloom` is absent.
 */

import type { TensorloomApi, Unsubscribe } from './api';

export type MenuCommand =
  | 'new-project'
  | 'open-project'
  | 'save-project'
  | 'save-project-as'
  | 'export-config'
  | 'export-safetensors'
  | 'export-onnx'
  | 'export-pytorch'
  | 'import-weights'
  | 'run-train'
  | 'run-pause'
  | 'run-step'
  | 'run-stop'
  | 'show-help';

export const MENU_COMMANDS: readonly MenuCommand[] = [
  'new-project',
  'open-project',
  'save-project',
  'save-project-as',
  'export-config',
  'export-safetensors',
  'export-onnx',
  'export-pytorch',
  'import-weights',
  'run-train',
  'run-pause',
  'run-step',
  'run-stop',
  'show-help',
];

/** IPC channel on which main sends a `MenuCommand` to the renderer when a menu item is chosen. */
export const MENU_COMMAND_CHANNEL = 'tensorloom:menu-command';

export interface MenuCommandSource {
  onDidMenuCommand(listener: (command: MenuCommand) => void): Unsubscribe;
}

/** The object the preload exposes as `window.tensorloom` in the desktop app. */
export type DesktopApi = TensorloomApi & MenuCommandSource;

declare global {
  interface Window {
    /** Present in the desktop app (set by the preload); undefined in web mode. */
    readonly tensorloom?: DesktopApi;
  }
}
