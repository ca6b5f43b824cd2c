/**
 * Selection of the weights an export uses: the weights imported last, the last
 * run's checkpoint, a given file, or weights freshly initialised from the seed.
 * The desktop app, web mode and the CLI all resolve a `WeightsSource` here.
 */

import { existsSync, statSync } from 'node:fs';
import type { WeightsSource } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { checkpointPathBeside } from '../trainer/checkpointPaths';
import { checkWeights, describeWeightsIssues, initialWeights, readWeightsFile, type LoadedWeights, type WeightTensors } from './weights';

/** Weights the user imported, and when, so the newer of them and a checkpoint wins. */
export interface ImportedWeights {
  weights: LoadedWeights;
  importedAtMs: number;
}

export interface WeightsContext {
  imported: ImportedWeights | null;
  /** Path of the last run's checkpoint, or null when no run has written one. */
  checkpointPath: string | null;
  /** False in web mode, where a path would name a file on the server's machine. */
  allowFilePaths: boolean;
  /** Folder that a relative text dataset path is resolved against; default the working directory. */
  projectFolder?: string;
}

export interface ResolvedWeights {
  tensors: WeightTensors;
  /** Origin of the weights, for messages: a file path, or how they were made. */
  from: string;
  /** `__metadata__` of the source file; empty for fresh weights. */
  metadata: Record<string, string>;
  warnings: string[];
}

/**
 * Returns `<folder>/<name>.safetensors` for `<folder>/<name>.json`, the weights file beside a
 * project. It is the path `tensorloom train` writes its checkpoint to, so export and open read it.
 */
export const weightsPathBeside: (projectPath: string) => string = checkpointPathBeside;

/**
 * Loads `path` and checks it against the project's graph. Throws a WeightsFileError
 * for an unreadable or malformed file, and an Error listing each tensor that does not fit.
 */
export function loadCheckedWeights(project: ProjectFile, path: string, expected: WeightTensors): ResolvedWeights {
  const weights = readWeightsFile(path);
  return checkLoadedWeights(project, weights, expected);
}

function checkLoadedWeights(project: ProjectFile, weights: LoadedWeights, expected: WeightTensors): ResolvedWeights {
  const check = checkWeights(project, expected, weights);
  if (check.issues.length > 0) throw new Error(describeWeightsIssues(weights.location, check.issues));
  return { tensors: weights.tensors, from: weights.location, metadata: weights.metadata, warnings: check.warnings };
}

/** Resolves `source` to the tensors an export writes, with warnings for the user. Throws naming the file or what to do. */
export function resolveWeights(project: ProjectFile, source: WeightsSource, context: WeightsContext): ResolvedWeights {
  const expected = initialWeights(project, context.projectFolder);
  const seedLabel = `initialised from seed ${project.training.seed}`;

  switch (source.kind) {
    case 'initial':
      return { tensors: expected, from: seedLabel, metadata: {}, warnings: [] };

    case 'file':
      if (!context.allowFilePaths) {
        throw new Error('Exporting weights from a file path is only available in the desktop app and the CLI. Import the weights file first, then export.');
      }
      if (typeof source.path !== 'string' || source.path === '') throw new TypeError('exportProject: weights.path must be a file path.');
      return loadCheckedWeights(project, source.path, expected);

    case 'checkpoint': {
      const path = context.checkpointPath;
      if (path === null || !existsSync(path)) {
        throw new Error(`No checkpoint for "${project.name}" yet. Train the project first, or import a weights file.`);
      }
      return loadCheckedWeights(project, path, expected);
    }

    case 'latest':
      return resolveLatest(project, context, expected, seedLabel);

    default:
      throw new TypeError(`exportProject: unknown weights source ${JSON.stringify((source as { kind?: unknown }).kind)}; use latest, checkpoint, file or initial.`);
  }
}

function resolveLatest(project: ProjectFile, context: WeightsContext, expected: WeightTensors, seedLabel: string): ResolvedWeights {
  const warnings: string[] = [];
  const candidates: Array<{ timeMs: number; resolve(): ResolvedWeights }> = [];

  if (context.imported !== null) {
    const imported = context.imported;
    const check = checkWeights(project, expected, imported.weights);
    if (check.issues.length === 0) {
      candidates.push({
        timeMs: imported.importedAtMs,
        resolve: () => ({ tensors: imported.weights.tensors, from: imported.weights.location, metadata: imported.weights.metadata, warnings: check.warnings }),
      });
    } else {
      warnings.push(`The imported weights ${imported.weights.location} do not fit the graph any more (${check.issues[0].message}), so they were not used.`);
    }
  }

  const checkpointPath = context.checkpointPath;
  if (checkpointPath !== null && existsSync(checkpointPath)) {
    try {
      const resolved = loadCheckedWeights(project, checkpointPath, expected);
      candidates.push({ timeMs: statSync(checkpointPath).mtimeMs, resolve: () => resolved });
    } catch (error) {
      warnings.push(`The last checkpoint could not be used: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  candidates.sort((a, b) => b.timeMs - a.timeMs);
  if (candidates.length > 0) {
    const chosen = candidates[0].resolve();
    return { ...chosen, warnings: [...warnings, ...chosen.warnings] };
  }

  warnings.push(
    `"${project.name}" has no trained weights yet, so the export contains weights ${seedLabel}. Train the project or import weights to export trained ones.`,
  );
  return { tensors: expected, from: seedLabel, metadata: {}, warnings };
}
