/** Turns a project and its weights into the bytes of one export format. */

import type { ExportFormat } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { exportOnnx } from '../../engine/io/onnx/index';
import { serializeProject } from '../../engine/io/project';
import { exportPytorch } from '../../engine/io/pytorch/index';
import { graphHash } from './graphHash';
import { encodeWeights, type WeightTensors } from './weights';

/**
 * Returns the file contents of `project` exported as `format`. `weights` must be
 * given for the formats that set `needsWeights` in EXPORT_FORMAT_INFO (safetensors
 * and ONNX). The PyTorch export is Python code that loads a safetensors file itself.
 */
export function buildExportBytes(format: ExportFormat, project: ProjectFile, weights: WeightTensors | null): Uint8Array {
  switch (format) {
    case 'config':
      return new TextEncoder().encode(serializeProject(project));
    case 'safetensors':
      return encodeWeights(project, requireWeights(format, weights));
    case 'onnx': {
      const parameters = new Map<string, Float32Array>();
      for (const [name, tensor] of requireWeights(format, weights)) parameters.set(name, tensor.data);
      return exportOnnx(project, parameters, { graphHash: graphHash(project) });
    }
    case 'pytorch':
      return new TextEncoder().encode(exportPytorch(project));
  }
}

function requireWeights(format: ExportFormat, weights: WeightTensors | null): WeightTensors {
  if (weights === null) throw new Error(`The ${format} export needs weights, but none were given.`);
  return weights;
}
