// The Electron binary cannot run here, so this checks the menu as data.
import { describe, expect, it } from 'vitest';
import { buildMenuTemplate, type MenuItemSpec } from '../../src/main/app/menuTemplate';
import { MENU_COMMANDS } from '../../src/shared/ipc';

function fileMenu(): MenuItemSpec[] {
  return buildMenuTemplate('linux', true).find((menu) => menu.label === 'File')!.items;
}

function commandsIn(items: readonly MenuItemSpec[]): Array<{ label: string; command: string }> {
  return items.flatMap((item) => {
    if (item.kind === 'command') return [{ label: item.label, command: item.command }];
    if (item.kind === 'submenu') return commandsIn(item.items);
    return [];
  });
}

describe('File menu export items', () => {
  it('has an Export submenu with one item per format', () => {
    const exportMenu = fileMenu().find((item) => item.kind === 'submenu' && item.label === 'Export');

    expect(exportMenu?.kind).toBe('submenu');
    expect(commandsIn(exportMenu?.kind === 'submenu' ? exportMenu.items : [])).toEqual([
      { label: 'Config…', command: 'export-config' },
      { label: 'Weights (safetensors)…', command: 'export-safetensors' },
      { label: 'ONNX…', command: 'export-onnx' },
      { label: 'PyTorch…', command: 'export-pytorch' },
    ]);
  });

  it('has Import weights after Export', () => {
    const labels = fileMenu().map((item) => (item.kind === 'command' || item.kind === 'submenu' ? item.label : item.kind));

    expect(labels.indexOf('Import weights…')).toBe(labels.indexOf('Export') + 1);
  });

  it('sends only known commands, submenus included', () => {
    const commands = buildMenuTemplate('darwin', false).flatMap((menu) => commandsIn(menu.items).map((item) => item.command));

    for (const command of commands) expect(MENU_COMMANDS).toContain(command);
  });
});
