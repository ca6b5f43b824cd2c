/** Turns a project and its weights into the bytes of one export format. */

import type { ExportFormat } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { exportOnnx } from '../../engine/io/onnx/index';
import { TENSORLOOM_VERSION } from '../device/version';
import { serializeProject } from '../../engine/io/project';
import { exportPytorch } from '../../engine/io/pytorch/index';
import { graphHash } from './graphHash';
import { datasetShapesFor, encodeWeights, type WeightTensors } from './weights';

/** Weights to export, with the `__metadata__` of the file they came from (empty for fresh weights). */
export interface ExportWeights {
  tensors: WeightTensors;
  metadata: Readonly<Record<string, string>>;
}

/**
 * Returns the file contents of `project` exported as `format`. `weights` must be
 * given for the formats that set `needsWeights` in EXPORT_FORMAT_INFO (safetensors
 * and ONNX). The PyTorch export is Python code that loads a safetensors file itself.
 * `projectFolder` resolves a relative text file path of a language model's dataset.
 */
export function buildExportBytes(format: ExportFormat, project: ProjectFile, weights: ExportWeights | null, projectFolder?: string): Uint8Array {
  switch (format) {
    case 'config':
      return new TextEncoder().encode(serializeProject(project));
    case 'safetensors': {
      const { tensors, metadata } = requireWeights(format, weights);
      return encodeWeights(project, tensors, metadata);
    }
    case 'onnx':
      // A language model's vocabulary size comes from its embedding table in the weights.
      return exportOnnx(project, requireWeights(format, weights).tensors, { graphHash: graphHash(project), producerVersion: TENSORLOOM_VERSION });
    case 'pytorch':
      return new TextEncoder().encode(exportPytorch(project, { dataset: datasetShapesFor(project.dataset, projectFolder) }));
  }
}

function requireWeights(format: ExportFormat, weights: ExportWeights | null): ExportWeights {
  if (weights === null) throw new Error(`The ${format} export needs weights, but none were given.`);
  return weights;
}
