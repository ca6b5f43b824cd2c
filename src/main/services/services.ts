/**
 * The app services: one object that does the main process's work (datasets,
 * project parsing, files through dialogs, runs). Electron IPC, the web-mode
 * WebSocket bridge and the CLI all call this object and hold no logic of their own.
 */

import type {
  ActivationProbe,
  DatasetInfo,
  GenerationRequest,
  GenerationResult,
  OpenedProject,
  ParallelCheckOptions,
  ParallelCheckResult,
  ParseProjectResult,
  RunEvent,
  RunOptions,
  RunStatus,
  SavedProject,
  TensorloomApi,
  Unsubscribe,
  UploadedTextDataset,
} from '../../shared/api';
import type { ProjectFile, ProjectIssue } from '../../shared/project';
import { DATASETS } from '../../engine/data/catalog';
import { parseProject } from '../../engine/io/project';
import type { DeviceLauncher } from '../devices/launcher';
import { createLogger } from '../log';
import { existsSync } from 'node:fs';
import { checkpointPathFor } from '../trainer/checkpointPaths';
import { runParallelCheck } from '../trainer/parallelCheck';
import { RunValidationError, Trainer } from '../trainer/trainer';
import { createExportService, type ExportDialogHost } from './exportService';
import { readProjectFile, saveProjectFile } from './projectFiles';
import { storeUploadedText } from './textDatasets';
import { validateRunProject } from './runValidation';

const log = createLogger('services');

/** Native file dialogs; only the desktop app has them. */
export interface DialogHost {
  /** Returns the chosen file path, or null when the user cancels. */
  showOpenDialog(): Promise<string | null>;
  /** Returns the chosen file path, or null when the user cancels. */
  showSaveDialog(suggestedPath: string): Promise<string | null>;
  /** Returns the chosen text file's path, or null when the user cancels. */
  showTextOpenDialog(): Promise<string | null>;
}

export const OPEN_DIALOG_UNAVAILABLE = 'Opening by dialog is only available in the desktop app; use Open to upload a file.';
export const SAVE_DIALOG_UNAVAILABLE = 'Saving by dialog is only available in the desktop app; use Save to download the file.';
export const TEXT_DIALOG_UNAVAILABLE = 'Choosing a text file by dialog is only available in the desktop app; upload the file instead.';

export type AppServices = Omit<TensorloomApi, 'platform'> & {
  /** Kills the device of any active run; call it when the front door shuts down. */
  dispose(): void;
};

export interface ServicesOptions {
  launcher: DeviceLauncher;
  /** Null where there are no native dialogs (web mode, CLI). */
  dialogHost?: DialogHost | null;
  /** Save and open dialogs for exports and weights; null where there are no native dialogs. */
  exportDialogHost?: ExportDialogHost | null;
  /** Replaces the project checks done before a run starts (tests only). */
  validateRun?: (project: ProjectFile) => ProjectIssue[];
  stepReportIntervalMs?: number;
  snapshotIntervalMs?: number;
  logIntervalMs?: number;
  /** Returns where a run of `project` writes its checkpoint. Default: the per-user data folder (see checkpointPaths). */
  checkpointPathFor?: (project: ProjectFile) => string;
  /** Folder that a relative `dataset.path` is resolved against. Default: the working directory. */
  projectFolder?: string | null;
}

export function createServices(options: ServicesOptions): AppServices {
  const dialogHost = options.dialogHost ?? null;
  const trainer = new Trainer({
    launcher: options.launcher,
    validate: options.validateRun ?? validateRunProject,
    ...(options.stepReportIntervalMs === undefined ? {} : { stepReportIntervalMs: options.stepReportIntervalMs }),
    ...(options.snapshotIntervalMs === undefined ? {} : { snapshotIntervalMs: options.snapshotIntervalMs }),
    ...(options.logIntervalMs === undefined ? {} : { logIntervalMs: options.logIntervalMs }),
  });

  const pathOfCheckpoint = options.checkpointPathFor ?? ((project: ProjectFile) => checkpointPathFor(project));
  const exportService = createExportService({
    dialogHost: options.exportDialogHost ?? null,
    lastCheckpointPath: () => trainer.lastCheckpointPath(),
    checkpointPathFor: pathOfCheckpoint,
  });

  /** Returns where a run of `project` writes its checkpoint and what it starts from, checking that a checkpoint to resume exists. */
  function runFilesFor(project: ProjectFile, runOptions: RunOptions | undefined) {
    const checkpointPath = pathOfCheckpoint(project);
    const resume = runOptions?.resume === true;
    if (resume && !existsSync(checkpointPath)) {
      throw new Error(
        `Cannot start from saved weights: there is no checkpoint at ${checkpointPath}. Train the project once, or import weights, to write it.`,
      );
    }
    return {
      checkpointPath,
      resumeFrom: resume ? checkpointPath : null,
      projectFolder: options.projectFolder ?? null,
      ...(runOptions?.deviceCount === undefined ? {} : { deviceCount: runOptions.deviceCount }),
      ...(runOptions?.link === undefined ? {} : { link: runOptions.link }),
    };
  }

  return {
    exportProject: exportService.exportProject,
    importWeights: exportService.importWeights,
    openProjectWithWeights: exportService.openProjectWithWeights,

    async listDatasets(): Promise<DatasetInfo[]> {
      return DATASETS.map((info) => ({ ...info, featureShape: [...info.featureShape] }));
    },

    async parseProject(text: string, location: string): Promise<ParseProjectResult> {
      requireString(text, 'text', 'parseProject');
      requireString(location, 'location', 'parseProject');
      return parseProject(text, location);
    },

    async openProjectDialog(): Promise<OpenedProject | null> {
      if (dialogHost === null) throw new Error(OPEN_DIALOG_UNAVAILABLE);
      const path = await dialogHost.showOpenDialog();
      if (path === null) return null;
      return readProjectFile(path);
    },

    async saveProjectDialog(project: ProjectFile, location: string | null, saveAs: boolean): Promise<SavedProject | null> {
      if (dialogHost === null) throw new Error(SAVE_DIALOG_UNAVAILABLE);
      requireObject(project, 'project', 'saveProjectDialog');
      let path = location;
      if (path === null || saveAs) {
        path = await dialogHost.showSaveDialog(location ?? `${fileNameFor(project)}.json`);
        if (path === null) return null;
      }
      saveProjectFile(path, project);
      return { location: path };
    },

    async startRun(project: ProjectFile, runOptions?: RunOptions): Promise<RunStatus> {
      requireObject(project, 'project', 'startRun');
      return trainer.start(project, false, runFilesFor(project, runOptions));
    },

    async pauseRun(): Promise<RunStatus> {
      return trainer.pause();
    },

    async resumeRun(): Promise<RunStatus> {
      return trainer.resume();
    },

    async stepRun(project: ProjectFile, runOptions?: RunOptions): Promise<RunStatus> {
      requireObject(project, 'project', 'stepRun');
      return trainer.step(project, runFilesFor(project, runOptions));
    },

    async stopRun(): Promise<RunStatus> {
      return trainer.stop();
    },

    async getRunStatus(): Promise<RunStatus> {
      return trainer.status();
    },

    async setActivationProbe(probe: ActivationProbe): Promise<void> {
      requireObject(probe, 'probe', 'setActivationProbe');
      if (probe.nodeId !== null && typeof probe.nodeId !== 'string') {
        throw new TypeError(`setActivationProbe: probe.nodeId must be a node id or null, got ${JSON.stringify(probe.nodeId)}.`);
      }
      trainer.setProbe({ nodeId: probe.nodeId, sampleIndex: probe.sampleIndex, ...(probe.text === undefined ? {} : { text: probe.text }) });
    },

    async generateText(request: GenerationRequest): Promise<GenerationResult> {
      requireObject(request, 'request', 'generateText');
      return trainer.generate(request);
    },

    async getCheckpointPath(): Promise<string | null> {
      return trainer.lastCheckpointPath();
    },

    async openTextFileDialog(): Promise<string | null> {
      if (dialogHost === null) throw new Error(TEXT_DIALOG_UNAVAILABLE);
      return dialogHost.showTextOpenDialog();
    },

    async uploadTextDataset(fileName: string, contentBase64: string): Promise<UploadedTextDataset> {
      const stored = storeUploadedText(fileName, contentBase64);
      log.info(`stored uploaded text ${fileName} (${stored.characterCount} characters) at ${stored.path}`);
      return stored;
    },

    async checkParallel(project: ProjectFile, checkOptions: ParallelCheckOptions): Promise<ParallelCheckResult> {
      requireObject(project, 'project', 'checkParallel');
      requireObject(checkOptions, 'options', 'checkParallel');
      if (trainer.status().state !== 'idle') {
        throw new Error(`Cannot check the plan while run ${trainer.status().runId} is ${trainer.status().state}: both need the devices. Stop the run first.`);
      }
      const issues = (options.validateRun ?? validateRunProject)(project);
      if (issues.length > 0) throw new RunValidationError(issues);
      return runParallelCheck(project, checkOptions, { launcher: options.launcher, log, projectFolder: options.projectFolder ?? null });
    },

    onDidRunEvent(listener: (event: RunEvent) => void): Unsubscribe {
      return trainer.onDidRunEvent(listener);
    },

    dispose(): void {
      log.debug('disposing services');
      trainer.dispose();
      options.launcher.killAll();
    },
  };
}

function fileNameFor(project: ProjectFile): string {
  const name = typeof project.name === 'string' ? project.name.trim() : '';
  const safe = name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '');
  return safe === '' ? 'project' : safe;
}

// Arguments may come from a browser over the WebSocket bridge, so their types are checked here.
function requireString(value: unknown, name: string, method: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${method}: ${name} must be a string, got ${typeof value}.`);
}

function requireObject(value: unknown, name: string, method: string): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${method}: ${name} must be an object, got ${value === null ? 'null' : typeof value}.`);
  }
}
