/** Carries out the desktop app's menu commands (File, Export and Run menus) in the renderer, where the project lives. */

import type { MenuCommand } from '../../../shared/ipc';
import type { AppStore } from '../stores/appStore.svelte';
import type { ExportStore } from '../stores/exportStore.svelte';
import type { ProjectFiles } from '../stores/projectFiles.svelte';
import type { ProjectStore } from '../stores/projectStore.svelte';
import type { RunStore } from '../stores/runStore.svelte';

interface MenuTargets {
  app: AppStore;
  project: ProjectStore;
  files: ProjectFiles;
  run: RunStore;
  exporter: ExportStore;
}

export function handleMenuCommand(command: MenuCommand, { app, project, files, run, exporter }: MenuTargets): void {
  switch (command) {
    case 'new-project':
      void files.newProject();
      break;
    case 'open-project':
      void files.open();
      break;
    case 'save-project':
      void files.save(false);
      break;
    case 'save-project-as':
      void files.save(true);
      break;
    case 'export-config':
      exporter.openDialog('config');
      break;
    case 'export-safetensors':
      exporter.openDialog('safetensors');
      break;
    case 'export-onnx':
      exporter.openDialog('onnx');
      break;
    case 'export-pytorch':
      exporter.openDialog('pytorch');
      break;
    case 'import-weights':
      void exporter.startImport();
      break;
    case 'run-train':
      // The services validate the project again and report issues as a run error.
      if (run.state === 'idle') void run.start(project.project);
      else if (run.state === 'paused') void run.resume();
      break;
    case 'run-pause':
      if (run.state === 'running') void run.pause();
      break;
    case 'run-step':
      if (run.state === 'idle' || run.state === 'paused') void run.step(project.project);
      break;
    case 'run-stop':
      if (run.state !== 'idle') void run.stop();
      break;
    case 'show-help':
      app.helpOpen = true;
      break;
  }
}
