/** Turns a project and its weights into the bytes of one export format. */

import type { ExportFormat } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { serializeProject } from '../../engine/io/project';
import { encodeWeights, type WeightTensors } from './weights';

/**
 * Returns the file contents of `project` exported as `format`. `weights` must be
 * given for the formats whose EXPORT_FORMAT_INFO says `needsWeights`.
 */
export function buildExportBytes(format: ExportFormat, project: ProjectFile, weights: WeightTensors | null): Uint8Array {
  switch (format) {
    case 'config':
      return new TextEncoder().encode(serializeProject(project));
    case 'safetensors':
      return encodeWeights(project, requireWeights(format, weights));
    case 'onnx':
      throw new Error('ONNX export is not available yet.');
    case 'pytorch':
      throw new Error('PyTorch export is not available yet.');
  }
}

function requireWeights(format: ExportFormat, weights: WeightTensors | null): WeightTensors {
  if (weights === null) throw new Error(`Exporting ${format} needs weights, but none were given.`);
  return weights;
}
