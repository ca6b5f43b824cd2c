/** Keyboard shortcuts of the main window: Ctrl/Cmd+S save, +Shift+S save as, +O open, +Z undo, +Shift+Z or +Y redo. */

import type { ProjectStore } from '../stores/projectStore.svelte';
import type { ProjectFiles } from '../stores/projectFiles.svelte';

interface ShortcutTargets {
  project: ProjectStore;
  files: ProjectFiles;
}

/** True when the key goes to a text field, whose own undo and typing must keep working. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function handleShortcut(event: KeyboardEvent, { project, files }: ShortcutTargets): void {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const key = event.key.toLowerCase();

  if (key === 's') {
    event.preventDefault();
    void files.save(event.shiftKey);
  } else if (key === 'o') {
    event.preventDefault();
    void files.open();
  } else if (key === 'z' && !isTyping(event.target)) {
    event.preventDefault();
    if (event.shiftKey) project.redo();
    else project.undo();
  } else if (key === 'y' && !isTyping(event.target)) {
    event.preventDefault();
    project.redo();
  }
}
