/**
 * Export and Import weights. The desktop app writes and reads files through
 * native dialogs in main; web mode downloads the exported bytes and uploads the
 * weights file. Failures stay in the dialog that caused them, with the
 * per-tensor list when imported weights do not fit the graph.
 */

import type {
  ExportFormat,
  ExportResult,
  ImportWeightsResult,
  TensorloomApi,
  WeightsSource,
} from '../../../shared/api';
import { defineContext } from '../lib/context';
import { base64ToBytes, bytesToBase64, downloadBytes } from '../lib/download';
import type { ProjectStore } from './projectStore.svelte';

export type WeightsSourceKind = WeightsSource['kind'];

export const EXPORT_FORMAT_LABELS: Record<ExportFormat, string> = {
  config: 'Project config (JSON)',
  safetensors: 'Weights (safetensors)',
  onnx: 'ONNX model',
  pytorch: 'PyTorch code',
};

/** A finished export, as the dialog reports it. */
export interface ExportOutcome {
  /** The written path (desktop app) or the downloaded file name (web mode). */
  location: string;
  byteCount: number;
  downloaded: boolean;
  weightsFrom: string | null;
  warnings: string[];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ExportStore {
  dialogOpen = $state(false);
  format = $state<ExportFormat>('safetensors');
  weightsKind = $state<WeightsSourceKind>('latest');
  /** Path of a weights file on this machine, for the `file` source (desktop app only). */
  weightsPath = $state('');
  busy = $state(false);
  outcome = $state.raw<ExportOutcome | null>(null);
  error = $state<string | null>(null);

  /** The last import that failed, shown in its own dialog; null when none is shown. */
  importFailure = $state.raw<Extract<ImportWeightsResult, { ok: false }> | null>(null);
  importing = $state(false);
  /** Opens the browser's file picker for a weights file; set by the component that owns the input. */
  pickWeightsFile: (() => void) | null = null;
  /** One line about the last import, for the toolbar. */
  importStatus = $state<string | null>(null);

  readonly #api: TensorloomApi;
  readonly #project: ProjectStore;

  constructor(api: TensorloomApi, project: ProjectStore) {
    this.#api = api;
    this.#project = project;
  }

  get isWeb(): boolean {
    return this.#api.platform === 'web';
  }

  openDialog(format?: ExportFormat): void {
    if (format !== undefined) this.format = format;
    this.outcome = null;
    this.error = null;
    this.dialogOpen = true;
  }

  closeDialog(): void {
    this.dialogOpen = false;
  }

  /** Returns the weights source to send, or a message when the form is incomplete. */
  weightsSource(): { ok: true; source: WeightsSource } | { ok: false; message: string } {
    if (this.weightsKind !== 'file') return { ok: true, source: { kind: this.weightsKind } };
    const path = this.weightsPath.trim();
    if (path === '') return { ok: false, message: 'Weights file is empty: enter the path of a .safetensors file, or choose another source.' };
    return { ok: true, source: { kind: 'file', path } };
  }

  async runExport(): Promise<void> {
    const source = this.weightsSource();
    if (!source.ok) {
      this.error = source.message;
      return;
    }

    this.busy = true;
    this.error = null;
    this.outcome = null;
    try {
      const result = await this.#api.exportProject({ format: this.format, project: this.#project.project, weights: source.source });
      if (result !== null) this.outcome = this.#finish(result);
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }

  /** Starts Import weights: the file picker in web mode, the services' open dialog in the desktop app. */
  async startImport(): Promise<void> {
    if (this.isWeb) {
      this.pickWeightsFile?.();
      return;
    }
    await this.#import(() => this.#api.importWeights({ project: this.#project.project }));
  }

  /** Imports weights from a file the user uploaded (web mode). */
  async importFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await this.#import(() =>
      this.#api.importWeights({ project: this.#project.project, base64: bytesToBase64(bytes), fileName: file.name }),
    );
  }

  dismissImportFailure(): void {
    this.importFailure = null;
  }

  async #import(send: () => Promise<ImportWeightsResult | null>): Promise<void> {
    this.importing = true;
    this.importStatus = null;
    try {
      const result = await send();
      if (result === null) return;
      if (result.ok) {
        this.importFailure = null;
        const warnings = result.warnings.length > 0 ? ` (${result.warnings.join(' ')})` : '';
        this.importStatus = `Imported ${result.tensorCount} tensors from ${result.location}${warnings}`;
      } else {
        this.importFailure = result;
        this.importStatus = `Import failed: ${result.message}`;
      }
    } catch (error) {
      this.importFailure = { ok: false, location: 'the weights file', message: errorMessage(error), issues: [] };
      this.importStatus = `Import failed: ${errorMessage(error)}`;
    } finally {
      this.importing = false;
    }
  }

  #finish(result: ExportResult): ExportOutcome {
    if (result.kind === 'download') {
      downloadBytes(base64ToBytes(result.base64), result.fileName, result.mimeType);
      return {
        location: result.fileName,
        byteCount: result.byteCount,
        downloaded: true,
        weightsFrom: result.weightsFrom,
        warnings: result.warnings,
      };
    }
    return {
      location: result.location,
      byteCount: result.byteCount,
      downloaded: false,
      weightsFrom: result.weightsFrom,
      warnings: result.warnings,
    };
  }
}

export const exportContext = defineContext<ExportStore>('ExportStore');
