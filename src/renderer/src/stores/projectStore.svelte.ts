/**
 * The open project: its content, where it was loaded from, whether it has unsaved
 * changes, an undo history of user actions, and the validation of its graph,
 * recomputed on every edit.
 */

import type { DatasetRef, ProjectFile, ProjectGraph, TrainingSettings } from '../../../shared/project';
import { createEmptyProject } from '../../../engine/io/project';
import { defineContext } from '../lib/context';
import { validateProjectGraph } from '../lib/validation';
import { canvasParallelView } from '../lib/parallelView';

/** Undo history length; older entries are dropped. */
const MAX_UNDO_ENTRIES = 200;
/** Edits of one field closer together than this are undone as one, so typing `128` is one entry, not three. */
const TYPING_MERGE_WINDOW_MS = 1500;

interface UndoEntry {
  label: string;
  project: ProjectFile;
  /** `performance.now()` of the latest edit merged into this entry. */
  editedAtMs: number;
}

/** Kind of edit for the undo history: a `typing` edit merges into the previous entry of the same field. */
export type EditKind = 'action' | 'typing';

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
  /** The parallel plan of the graph: device counts and each layer's resolved sharding. */
  readonly parallelView = $derived(canvasParallelView(this.project));
  readonly canUndo = $derived(this.#undoStack.length > 0);
  readonly canRedo = $derived(this.#redoStack.length > 0);
  readonly undoLabel = $derived(this.#undoStack.at(-1)?.label ?? null);

  /**
   * Applies one user action as an undo entry labelled `label`. An update that returns
   * the same project records nothing, and a `typing` edit merges into the previous
   * entry when it has the same label and is recent.
   */
  apply(label: string, update: (project: ProjectFile) => ProjectFile, kind: EditKind = 'action'): void {
    const next = update(this.project);
    if (next === this.project) return;

    const nowMs = performance.now();
    const last = this.#undoStack.at(-1);
    const merges = kind === 'typing' && last !== undefined && last.label === label && nowMs - last.editedAtMs < TYPING_MERGE_WINDOW_MS;
    if (merges) {
      this.#undoStack = [...this.#undoStack.slice(0, -1), { ...last, editedAtMs: nowMs }];
    } else {
      const entry: UndoEntry = { label, project: this.project, editedAtMs: nowMs };
      this.#undoStack = [...this.#undoStack.slice(-(MAX_UNDO_ENTRIES - 1)), entry];
    }
    this.#redoStack = [];
    this.project = next;
  }

  updateGraph(label: string, update: (graph: ProjectGraph) => ProjectGraph, kind: EditKind = 'action'): void {
    this.apply(
      label,
      (project) => {
        const graph = update(project.graph);
        return graph === project.graph ? project : { ...project, graph };
      },
      kind,
    );
  }

  updateTraining(label: string, changes: Partial<TrainingSettings>, kind: EditKind = 'action'): void {
    this.apply(label, (project) => ({ ...project, training: { ...project.training, ...changes } }), kind);
  }

  updateDataset(label: string, changes: Partial<DatasetRef>, kind: EditKind = 'action'): void {
    this.apply(label, (project) => ({ ...project, dataset: { ...project.dataset, ...changes } }), kind);
  }

  rename(name: string): void {
    this.apply('Rename project', (project) => (project.name === name ? project : { ...project, name }));
  }

  undo(): void {
    const entry = this.#undoStack.at(-1);
    if (entry === undefined) return;
    this.#undoStack = this.#undoStack.slice(0, -1);
    this.#redoStack = [...this.#redoStack, { ...entry, project: this.project }];
    this.project = entry.project;
  }

  redo(): void {
    const entry = this.#redoStack.at(-1);
    if (entry === undefined) return;
    this.#redoStack = this.#redoStack.slice(0, -1);
    // The redone entry starts a fresh merge window so later typing is not folded into it.
    this.#undoStack = [...this.#undoStack, { label: entry.label, project: this.project, editedAtMs: 0 }];
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
