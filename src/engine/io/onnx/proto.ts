/**
 * The ONNX protobuf messages, from the `onnx-proto` package (protobufjs code
 * generated from onnx.proto of ONNX 1.10.2), and helpers that build the few
 * message kinds the exporter writes. `onnx-proto` loads without Node built-ins,
 * so this file runs in the renderer too. Every field the exporter writes already
 * existed in ONNX 1.10.2, so the same schema serves the newer IR versions it declares.
 */

import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const onnx = onnxProto.onnx;

export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type ModelProto = OnnxTypes.IModelProto;
export type TensorShapeDimension = OnnxTypes.TensorShapeProto.IDimension;

/** Element types of the tensors the exporter writes, as `TensorProto.DataType` numbers them. */
export const FLOAT32 = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export type ElementType = typeof FLOAT32 | typeof INT64;

/** A dimension of a graph input or output: a fixed size, or a name that stays free (`batch`). */
export type Dimension = number | string;

/** Returns a float32 tensor with its values as little-endian raw bytes, as ONNX stores `raw_data`. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims: [...dims], dataType: FLOAT32, rawData: bytes };
}

/** Returns an int64 tensor with its values as little-endian raw bytes. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
  return { name, dims: [...dims], dataType: INT64, rawData: bytes };
}

export function valueInfo(name: string, elementType: ElementType, dims: readonly Dimension[], docString?: string): ValueInfoProto {
  const dim = dims.map((size) => (typeof size === 'number' ? { dimValue: size } : { dimParam: size }));
  return {
    name,
    ...(docString === undefined ? {} : { docString }),
    type: { tensorType: { elemType: elementType, shape: { dim } } },
  };
}

/**
 * Value of a node attribute. A number is an INT and a list of numbers INTS,
 * because most attributes are integers. A float attribute is written `{ float: 1e-5 }`.
 */
export type AttributeValue = number | readonly number[] | string | { readonly float: number };
export type Attributes = Readonly<Record<string, AttributeValue>>;

export function attributeProtos(values: Attributes): AttributeProto[] {
  const types = onnx.AttributeProto.AttributeType;
  return Object.entries(values).map(([name, value]): AttributeProto => {
    if (typeof value === 'string') return { name, type: types.STRING, s: new TextEncoder().encode(value) };
    if (typeof value === 'number') return { name, type: types.INT, i: value };
    if ('float' in value) return { name, type: types.FLOAT, f: value.float };
    return { name, type: types.INTS, ints: [...value] };
  });
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const encoded = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  // Under Node protobufjs returns a Buffer, a Uint8Array subclass, so callers get a plain Uint8Array view of it.
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** Parses `.onnx` bytes back into a model, for tests and for reading an exported file. */
export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
