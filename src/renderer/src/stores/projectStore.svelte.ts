/**
 * The open project: its content, where it was loaded from, whether it has unsaved
 * changes, an undo history of user actions, and the validation of its graph,
 * recomputed on every edit.
 */

import type { DatasetRef, ProjectFile, ProjectGraph, TrainingSettings } from '../../../shared/project';
import { createEmptyProject } from '../../../engine/io/project';
import { defineContext } from '../lib/context';
import { validateProjectGraph } from '../lib/validation';

/** Undo history length; older entries are dropped. */
const MAX_UNDO_ENTRIES = 200;

interface UndoEntry {
  label: string;
  project: ProjectFile;
}

export class ProjectStore {
  project = $state.raw<ProjectFile>(createEmptyProject());
  /** File path in Electron, file name in web mode; null until opened or saved. */
  location = $state<string | null>(null);
  /** Count of whole-project replacements (New, Open); the canvas fits its view to each new project. */
  replaceCount = $state(0);
  /** The project as last opened or saved; the project is dirty when it differs. */
  #savedProject = $state.raw<ProjectFile>(this.project);
  #undoStack = $state.raw<UndoEntry[]>([]);
  #redoStack = $state.raw<UndoEntry[]>([]);

  readonly dirty = $derived(this.project !== this.#savedProject);
  readonly validation = $derived(validateProjectGraph(this.project));
  readonly canUndo = $derived(this.#undoStack.length > 0);
  readonly canRedo = $derived(this.#redoStack.length > 0);
  readonly undoLabel = $derived(this.#undoStack.at(-1)?.label ?? null);

  /** Applies one user action as a single undo entry; an update returning the same project records nothing. */
  apply(label: string, update: (project: ProjectFile) => ProjectFile): void {
    const next = update(this.project);
    if (next === this.project) return;
    this.#undoStack = [...this.#undoStack.slice(-(MAX_UNDO_ENTRIES - 1)), { label, project: this.project }];
    this.#redoStack = [];
    this.project = next;
  }

  updateGraph(label: string, update: (graph: ProjectGraph) => ProjectGraph): void {
    this.apply(label, (project) => {
      const graph = update(project.graph);
      return graph === project.graph ? project : { ...project, graph };
    });
  }

  updateTraining(label: string, changes: Partial<TrainingSettings>): void {
    this.apply(label, (project) => ({ ...project, training: { ...project.training, ...changes } }));
  }

  updateDataset(label: string, changes: Partial<DatasetRef>): void {
    this.apply(label, (project) => ({ ...project, dataset: { ...project.dataset, ...changes } }));
  }

  rename(name: string): void {
    this.apply('Rename project', (project) => (project.name === name ? project : { ...project, name }));
  }

  undo(): void {
    const entry = this.#undoStack.at(-1);
    if (entry === undefined) return;
    this.#undoStack = this.#undoStack.slice(0, -1);
    this.#redoStack = [...this.#redoStack, { label: entry.label, project: this.project }];
    this.project = entry.project;
  }

  redo(): void {
    const entry = this.#redoStack.at(-1);
    if (entry === undefined) return;
    this.#redoStack = this.#redoStack.slice(0, -1);
    this.#undoStack = [...this.#undoStack, { label: entry.label, project: this.project }];
    this.project = entry.project;
  }

  /** Replaces the whole project (New, Open); clears the undo history and marks it saved. */
  replace(project: ProjectFile, location: string | null): void {
    this.project = project;
    this.#savedProject = project;
    this.location = location;
    this.#undoStack = [];
    this.#redoStack = [];
    this.replaceCount += 1;
  }

  markSaved(project: ProjectFile, location: string | null): void {
    this.#savedProject = project;
    this.location = location;
  }
}

export const projectContext = defineContext<ProjectStore>('ProjectStore');
