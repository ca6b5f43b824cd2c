/** ONNX export of Tensorloom graphs. */

export {
  DEFAULT_OPSET,
  exportOnnx,
  MAX_OPSET,
  MIN_OPSET,
  ONNX_BATCH_DIM,
  ONNX_PRODUCER_NAME,
  PREDICTION_OUTPUT,
  PROBABILITIES_OUTPUT,
  type OnnxExportOptions,
} from './export';
export type { OnnxParameters, ShapedValues } from './parameters';
export { decodeModel } from './proto';
export { ONNX_SEQUENCE_DIM } from './transformer';
