/** The export formats: file extension, MIME type and dialog filter of each, and suggested file names. */

import type { ExportFormat } from '../../shared/api';
import { EXPORT_FORMATS } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';

export interface ExportFormatInfo {
  format: ExportFormat;
  /** Menu and dialog label. */
  label: string;
  /** File name ending, without the dot. */
  extension: string;
  mimeType: string;
  /** True when the export contains the model's weights. */
  needsWeights: boolean;
}

export const EXPORT_FORMAT_INFO: Readonly<Record<ExportFormat, ExportFormatInfo>> = {
  config: { format: 'config', label: 'Tensorloom project', extension: 'json', mimeType: 'application/json', needsWeights: false },
  safetensors: { format: 'safetensors', label: 'Safetensors weights', extension: 'safetensors', mimeType: 'application/octet-stream', needsWeights: true },
  onnx: { format: 'onnx', label: 'ONNX model', extension: 'onnx', mimeType: 'application/octet-stream', needsWeights: true },
  pytorch: { format: 'pytorch', label: 'PyTorch module', extension: 'py', mimeType: 'text/x-python', needsWeights: false },
};

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** Turns the project name into a file name stem: word characters, dots and dashes only, `project` when nothing is left. */
export function fileStemFor(project: ProjectFile): string {
  const name = typeof project.name === 'string' ? project.name.trim() : '';
  const safe = name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '');
  return safe === '' ? 'project' : safe;
}

/** Suggested file name for exporting `project` as `format`, such as `MNIST-MLP.onnx`. */
export function suggestedFileName(project: ProjectFile, format: ExportFormat): string {
  return `${fileStemFor(project)}.${EXPORT_FORMAT_INFO[format].extension}`;
}
