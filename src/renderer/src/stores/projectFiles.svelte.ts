/**
 * Project file actions: New, Open, Open example, Save and Save As, in Electron
 * (native dialogs through the API) and in web mode (file upload and download).
 * A file that fails to load leaves the current project untouched and its issues
 * are listed field by field.
 */

import type { ImportWeightsResult, ParseProjectResult, TensorloomApi } from '../../../shared/api';
import type { ProjectFile, ProjectIssue } from '../../../shared/project';
import { createEmptyProject, parseProject, serializeProject } from '../../../engine/io/project';
import mnistExample from '../../../../resources/examples/mnist-mlp.json';
import charTransformerExample from '../../../../resources/examples/char-transformer.json';
import xorExample from '../../../../resources/examples/xor-mlp.json';
import circlesExample from '../../../../resources/examples/circles-mlp.json';
import spiralsExample from '../../../../resources/examples/spirals-mlp.json';
import mnistDataParallelExample from '../../../../resources/examples/mnist-mlp-dp2.json';
import mnistTensorParallelExample from '../../../../resources/examples/mnist-mlp-tp2.json';
import mnistDataTensorParallelExample from '../../../../resources/examples/mnist-mlp-dp2-tp2.json';
import transformerTensorParallelExample from '../../../../resources/examples/transformer-tp2-sp.json';
import { defineContext } from '../lib/context';
import type { ProjectStore } from './projectStore.svelte';

export interface OpenFailure {
  location: string;
  issues: ProjectIssue[];
}

export interface ConfirmRequest {
  message: string;
  confirmLabel: string;
  resolve(confirmed: boolean): void;
}

export interface ExampleProject {
  /** File name of the example in resources/examples, shown as its location. */
  fileName: string;
  label: string;
  content: unknown;
}

/** The bundled example projects, in the order the toolbar lists them; the first is the default. */
export const EXAMPLE_PROJECTS: readonly ExampleProject[] = [
  { fileName: 'mnist-mlp.json', label: 'MNIST MLP', content: mnistExample },
  { fileName: 'char-transformer.json', label: 'Char transformer', content: charTransformerExample },
  { fileName: 'xor-mlp.json', label: 'XOR MLP', content: xorExample },
  { fileName: 'circles-mlp.json', label: 'Circles MLP', content: circlesExample },
  { fileName: 'spirals-mlp.json', label: 'Spirals MLP', content: spiralsExample },
  { fileName: 'mnist-mlp-dp2.json', label: 'MNIST MLP, data parallel 2', content: mnistDataParallelExample },
  { fileName: 'mnist-mlp-tp2.json', label: 'MNIST MLP, tensor parallel 2', content: mnistTensorParallelExample },
  { fileName: 'mnist-mlp-dp2-tp2.json', label: 'MNIST MLP, data 2 × tensor 2', content: mnistDataTensorParallelExample },
  { fileName: 'transformer-tp2-sp.json', label: 'Transformer, tensor 2 + sequence', content: transformerTensorParallelExample },
];

/** Turns a project name into a file name safe on every platform: `My net` → `My net.json`. */
export function downloadFileName(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|]+/g, '-').trim();
  return `${cleaned === '' ? 'project' : cleaned}.json`;
}

function describeWeights(weights: ImportWeightsResult): string {
  if (weights.ok) return `loaded ${weights.tensorCount} tensors from ${weights.location}`;
  return `weights in ${weights.location} not loaded: ${weights.message.split('\n')[0]}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ProjectFiles {
  openFailure = $state.raw<OpenFailure | null>(null);
  confirmRequest = $state.raw<ConfirmRequest | null>(null);
  /** One line about the last file action (saved, opened, failed), shown in the toolbar. */
  status = $state<string | null>(null);
  /** Opens the browser's file picker; set by the toolbar, which owns the file input. */
  pickFile: (() => void) | null = null;

  readonly #api: TensorloomApi;
  readonly #project: ProjectStore;

  constructor(api: TensorloomApi, project: ProjectStore) {
    this.#api = api;
    this.#project = project;
  }

  /** Asks the user to confirm in an in-app dialog; resolves false when cancelled. */
  confirm(message: string, confirmLabel: string): Promise<boolean> {
    this.confirmRequest?.resolve(false);
    return new Promise((resolve) => {
      this.confirmRequest = {
        message,
        confirmLabel,
        resolve: (confirmed) => {
          this.confirmRequest = null;
          resolve(confirmed);
        },
      };
    });
  }

  async newProject(): Promise<void> {
    if (!(await this.#confirmDiscard('Start a new project?'))) return;
    this.#project.replace(createEmptyProject(), null);
    this.status = 'New project';
  }

  /** Starts Open: the native dialog in Electron, the file picker in a browser. */
  async open(): Promise<void> {
    if (this.#api.platform === 'web') {
      this.pickFile?.();
      return;
    }
    try {
      // The desktop app also loads the weights saved beside the project (`mnist.safetensors` beside `mnist.json`).
      const opened = await this.#api.openProjectWithWeights();
      if (opened === null) return;
      const replaced = await this.#applyOpened(opened.location, opened.result);
      if (replaced && opened.weights !== null) this.status = `${this.status ?? ''}; ${describeWeights(opened.weights)}`;
    } catch (error) {
      this.status = `Open failed: ${errorMessage(error)}`;
    }
  }

  /** Loads a project from text the user uploaded (web mode). */
  async openText(text: string, location: string): Promise<void> {
    await this.#applyOpened(location, parseProject(text, location));
  }

  async openExample(example: ExampleProject = EXAMPLE_PROJECTS[0]): Promise<void> {
    const location = example.fileName;
    await this.#applyOpened(location, parseProject(JSON.stringify(example.content), location));
    // The example is a template: saving it must ask where, not overwrite a file.
    if (this.#project.location === location) this.#project.location = null;
  }

  async save(saveAs: boolean): Promise<void> {
    const project = this.#project.project;
    if (this.#api.platform === 'web') {
      this.#download(project);
      return;
    }
    try {
      const saved = await this.#api.saveProjectDialog(project, this.#project.location, saveAs);
      if (saved === null) return;
      this.#project.markSaved(project, saved.location);
      this.status = `Saved ${saved.location}`;
    } catch (error) {
      this.status = `Save failed: ${errorMessage(error)}`;
    }
  }

  dismissOpenFailure(): void {
    this.openFailure = null;
  }

  /** Replaces the project with an opened one. Returns false when the file has issues or the user keeps the current project. */
  async #applyOpened(location: string, result: ParseProjectResult): Promise<boolean> {
    if (!result.ok) {
      this.openFailure = { location, issues: result.issues };
      this.status = `Could not open ${location}: ${result.issues.length} issue(s); the current project is unchanged.`;
      return false;
    }
    if (!(await this.#confirmDiscard(`Open ${location}?`))) return false;

    this.openFailure = null;
    this.#project.replace(result.project, location);
    this.status = result.warnings.length > 0 ? `Opened ${location} with ${result.warnings.length} warning(s)` : `Opened ${location}`;
    return true;
  }

  async #confirmDiscard(question: string): Promise<boolean> {
    if (!this.#project.dirty) return true;
    return this.confirm(`${question} The current project has unsaved changes, which will be lost.`, 'Discard changes');
  }

  #download(project: ProjectFile): void {
    const fileName = downloadFileName(project.name);
    const blob = new Blob([serializeProject(project)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);

    this.#project.markSaved(project, fileName);
    this.status = `Downloaded ${fileName}`;
  }
}

export const projectFilesContext = defineContext<ProjectFiles>('ProjectFiles');
