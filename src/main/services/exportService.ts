/**
 * The export and import part of the app services: exporting a project as config,
 * safetensors, ONNX or PyTorch, importing weights into a matching graph, and opening
 * a project together with the weights file beside it. In the desktop app, files go
 * through native dialogs and atomic writes. In web mode, exports come back as base64
 * bytes for the browser to download, because the WebSocket bridge carries JSON only.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type {
  ExportRequest,
  ExportResult,
  ImportWeightsRequest,
  ImportWeightsResult,
  OpenedProjectWithWeights,
} from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { writeFileAtomic } from '../files/atomicFile';
import { buildExportBytes, type ExportWeights } from '../export/build';
import { EXPORT_FORMAT_INFO, isExportFormat, suggestedFileName } from '../export/formats';
import {
  checkWeights,
  decodeWeights,
  describeWeightsIssues,
  encodeWeights,
  initialWeights,
  readWeightsFile,
  WeightsFileError,
  type LoadedWeights,
  type WeightTensors,
} from '../export/weights';
import { resolveWeights, weightsPathBeside, type ImportedWeights } from '../export/weightsSource';
import { createLogger, describeError } from '../log';
import { readProjectFile } from './projectFiles';

const log = createLogger('export');

/** Native dialogs the export service uses; only the desktop app has them. */
export interface ExportDialogHost {
  /** Shows a save dialog for one export format; returns the chosen path, or null when the user cancels. */
  showExportDialog(options: { title: string; defaultPath: string; filterName: string; extension: string }): Promise<string | null>;
  /** Shows an open dialog for a safetensors file; returns the chosen path, or null when the user cancels. */
  showWeightsOpenDialog(): Promise<string | null>;
  /** Shows an open dialog for a project file; returns the chosen path, or null when the user cancels. */
  showProjectOpenDialog(): Promise<string | null>;
}

export interface ExportServiceOptions {
  /** Null where there are no native dialogs (web mode, CLI). */
  dialogHost: ExportDialogHost | null;
  /** Returns the path of the checkpoint the last run wrote, or null when there is none. */
  lastCheckpointPath(): string | null;
  /**
   * Returns where a run of `project` keeps its checkpoint. When given, imported weights are
   * also written there, so a run resumed from the checkpoint starts from them.
   */
  checkpointPathFor?: (project: ProjectFile) => string;
  /** Replaces the byte writer of atomic writes (tests only). */
  writeFile?: (path: string, bytes: Uint8Array) => void;
  /** Returns the current time in milliseconds (tests only). */
  nowMs?: () => number;
}

export interface ExportService {
  exportProject(request: ExportRequest): Promise<ExportResult | null>;
  importWeights(request: ImportWeightsRequest): Promise<ImportWeightsResult | null>;
  openProjectWithWeights(): Promise<OpenedProjectWithWeights | null>;
  /** Returns the weights the user imported last when they fit `project`'s graph, else null. */
  importedWeightsFor(project: ProjectFile): WeightTensors | null;
}

export const IMPORT_NEEDS_BYTES = 'Importing weights in web mode needs the file itself: choose it with Import weights in the page, which sends its bytes.';
export const OPEN_WITH_WEIGHTS_UNAVAILABLE = 'Opening by dialog is only available in the desktop app. Use Open to upload a file.';

export function createExportService(options: ExportServiceOptions): ExportService {
  const dialogHost = options.dialogHost;
  const writeFile = options.writeFile ?? writeFileAtomic;
  const nowMs = options.nowMs ?? Date.now;
  let imported: ImportedWeights | null = null;
  /** Folder of the last file opened or written, for the next dialog's suggested path. */
  let lastFolder: string | null = null;

  function importChecked(project: ProjectFile, weights: LoadedWeights, projectFolder?: string): ImportWeightsResult {
    let expected: WeightTensors;
    try {
      expected = initialWeights(project, projectFolder);
    } catch (error) {
      const message = `Cannot check ${weights.location} against the graph: ${describeError(error)}`;
      log.warn(`weights not imported: ${message}`);
      return { ok: false, location: weights.location, message, issues: [] };
    }
    const check = checkWeights(project, expected, weights);
    if (check.issues.length > 0) {
      const message = describeWeightsIssues(weights.location, check.issues);
      log.warn(`weights not imported: ${message}`);
      return { ok: false, location: weights.location, message, issues: check.issues };
    }

    imported = { weights, importedAtMs: nowMs() };
    let parameterCount = 0;
    for (const tensor of weights.tensors.values()) parameterCount += tensor.data.length;
    const warnings = [...check.warnings];
    const checkpointWarning = storeAsCheckpoint(project, weights);
    if (checkpointWarning !== null) warnings.push(checkpointWarning);
    for (const warning of warnings) log.warn(warning);
    log.info(`imported ${weights.tensors.size} tensors (${parameterCount} parameters) from ${weights.location}`);
    return { ok: true, location: weights.location, tensorCount: weights.tensors.size, parameterCount, warnings };
  }

  /** Writes imported weights to the project's checkpoint path; returns a warning when that fails. */
  function storeAsCheckpoint(project: ProjectFile, weights: LoadedWeights): string | null {
    if (options.checkpointPathFor === undefined) return null;
    const path = options.checkpointPathFor(project);
    if (resolve(path) === resolve(weights.location)) return null;
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFile(path, encodeWeights(project, weights.tensors, weights.metadata));
      log.info(`stored the imported weights as the checkpoint ${path}`);
      return null;
    } catch (error) {
      return `The weights were imported, but a resumed run will not start from them: ${describeError(error)}`;
    }
  }

  function importFromPath(project: ProjectFile, path: string, projectFolder?: string): ImportWeightsResult {
    let weights: LoadedWeights;
    try {
      weights = readWeightsFile(path);
    } catch (error) {
      if (!(error instanceof WeightsFileError)) throw error;
      log.warn(error.message);
      return { ok: false, location: path, message: error.message, issues: [] };
    }
    return importChecked(project, weights, projectFolder);
  }

  return {
    async exportProject(request: ExportRequest): Promise<ExportResult | null> {
      requireObject(request, 'request', 'exportProject');
      const { format, project } = request;
      if (!isExportFormat(format)) {
        throw new TypeError(`exportProject: unknown format ${JSON.stringify(format)}; use one of ${Object.keys(EXPORT_FORMAT_INFO).join(', ')}.`);
      }
      requireObject(project, 'request.project', 'exportProject');
      const info = EXPORT_FORMAT_INFO[format];

      let weightsFrom: string | null = null;
      let warnings: string[] = [];
      let weights: ExportWeights | null = null;
      if (info.needsWeights) {
        const resolved = resolveWeights(project, request.weights ?? { kind: 'latest' }, {
          imported,
          checkpointPath: options.lastCheckpointPath(),
          allowFilePaths: dialogHost !== null,
        });
        weights = resolved;
        weightsFrom = resolved.from;
        warnings = resolved.warnings;
      }
      // The export is built before the dialog opens, so a project or weights problem shows up before the user picks a file.
      const bytes = buildExportBytes(format, project, weights);

      if (dialogHost !== null) {
        const fileName = suggestedFileName(project, format);
        const path = await dialogHost.showExportDialog({
          title: `Export ${info.label}`,
          defaultPath: lastFolder === null ? fileName : join(lastFolder, fileName),
          filterName: info.label,
          extension: info.extension,
        });
        if (path === null) return null;

        writeFile(path, bytes);
        lastFolder = dirname(path);
        log.info(`exported ${format} of "${project.name}" to ${path} (${bytes.byteLength} bytes${weightsFrom === null ? '' : `, weights ${weightsFrom}`})`);
        return { kind: 'file', format, location: path, byteCount: bytes.byteLength, weightsFrom, warnings };
      }
      log.info(`exported ${format} of "${project.name}" for download (${bytes.byteLength} bytes)`);
      return {
        kind: 'download',
        format,
        fileName: suggestedFileName(project, format),
        mimeType: info.mimeType,
        base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        byteCount: bytes.byteLength,
        weightsFrom,
        warnings,
      };
    },

    async importWeights(request: ImportWeightsRequest): Promise<ImportWeightsResult | null> {
      requireObject(request, 'request', 'importWeights');
      requireObject(request.project, 'request.project', 'importWeights');

      if (request.base64 !== undefined) {
        const location = typeof request.fileName === 'string' && request.fileName !== '' ? request.fileName : 'the uploaded weights file';
        const bytes = decodeBase64(request.base64, location);
        try {
          return importChecked(request.project, decodeWeights(bytes, location));
        } catch (error) {
          if (!(error instanceof WeightsFileError)) throw error;
          log.warn(error.message);
          return { ok: false, location, message: error.message, issues: [] };
        }
      }

      if (dialogHost === null) throw new Error(IMPORT_NEEDS_BYTES);
      const path = await dialogHost.showWeightsOpenDialog();
      if (path === null) return null;
      lastFolder = dirname(path);
      return importFromPath(request.project, path);
    },

    async openProjectWithWeights(): Promise<OpenedProjectWithWeights | null> {
      if (dialogHost === null) throw new Error(OPEN_WITH_WEIGHTS_UNAVAILABLE);
      const path = await dialogHost.showProjectOpenDialog();
      if (path === null) return null;
      lastFolder = dirname(path);
      return openWithWeights(path, importFromPath);
    },

    importedWeightsFor(project: ProjectFile): WeightTensors | null {
      if (imported === null) return null;
      try {
        return checkWeights(project, initialWeights(project), imported.weights).issues.length === 0 ? imported.weights.tensors : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * Opens the project at `path` and, when `<name>.safetensors` lies beside it and the
 * project is valid, imports those weights with `importFromPath`.
 */
export function openWithWeights(
  path: string,
  importFromPath: (project: ProjectFile, weightsPath: string, projectFolder: string) => ImportWeightsResult,
): OpenedProjectWithWeights {
  const opened = readProjectFile(path);
  const weightsPath = weightsPathBeside(path);
  if (!opened.result.ok || !existsSync(weightsPath)) return { ...opened, weights: null };
  return { ...opened, weights: importFromPath(opened.result.project, weightsPath, dirname(path)) };
}

function decodeBase64(text: unknown, location: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`importWeights: base64 must be a string, got ${typeof text}.`);
  // Buffer.from skips characters outside the alphabet, so invalid text is rejected here.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error(`Cannot import ${location}: its contents are not valid base64. Send the file's bytes base64-encoded.`);
  }
  const buffer = Buffer.from(text, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// Requests may come from a browser over the WebSocket bridge, so their types are checked here.
function requireObject(value: unknown, name: string, method: string): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${method}: ${name} must be an object, got ${value === null ? 'null' : typeof value}.`);
  }
}
