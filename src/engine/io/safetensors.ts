/**
 * Safetensors reading and writing for trained weights and checkpoints.
 *
 * The writer stores F32 only, with tensors sorted by name and the header padded
 * with spaces to a multiple of 8 bytes, so the same tensors always give the same
 * bytes. The reader accepts F32, F16, BF16 and F64 and converts every tensor to a
 * Float32Array. Header validation lives in safetensorsHeader.ts.
 */

import { formatShape, shapeElementCount } from '../tensor/tensor';
import {
  readSafetensorsHeader,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_METADATA_KEY,
  SafetensorsError,
  type SafetensorsDtype,
  type SafetensorsReadOptions,
} from './safetensorsHeader';

export {
  readSafetensorsHeader,
  SafetensorsError,
  SAFETENSORS_MAX_HEADER_BYTES,
  SUPPORTED_SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
} from './safetensorsHeader';

/** A tensor to write: row-major F32 values and their shape. An engine Tensor fits this type. */
export interface SafetensorsInputTensor {
  shape: readonly number[];
  data: Float32Array;
}

export type SafetensorsInput =
  | ReadonlyMap<string, SafetensorsInputTensor>
  | ReadonlyArray<readonly [string, SafetensorsInputTensor]>;

/** A tensor read from a file. `dtype` is the stored type, and `data` contains the values converted to float32. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface DecodedSafetensors {
  /** Tensors by name, in the order of their bytes in the file. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const LENGTH_PREFIX_BYTES = 8;
const HEADER_ALIGNMENT_BYTES = 8;
const SPACE = 0x20;
const F32_BYTES = 4;

/** True when typed arrays on this host store numbers little-endian, as safetensors does. */
// NOTE: the DataView branches taken when this is false serve big-endian hosts, and no test here runs them.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Encodes `tensors` as a safetensors file of F32 tensors, with optional string metadata
 * stored under `__metadata__`. Throws SafetensorsError naming the tensor when a name is
 * repeated or reserved, or when a shape does not match its data.
 */
export function encodeSafetensors(tensors: SafetensorsInput, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const named = collectTensors(tensors);
  named.sort(([a], [b]) => compareCodeUnits(a, b));

  const headerParts: string[] = [];
  if (metadata !== undefined) headerParts.push(`${JSON.stringify(SAFETENSORS_METADATA_KEY)}:${encodeMetadata(metadata)}`);
  let dataByteLength = 0;
  for (const [name, tensor] of named) {
    const begin = dataByteLength;
    dataByteLength += tensor.data.length * F32_BYTES;
    const entry = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [begin, dataByteLength] };
    headerParts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
  }

  // The header is built as text so keys keep sorted order: a JS object would move integer-like names ("0", "12") first.
  const headerText = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const headerByteLength = Math.ceil(headerText.byteLength / HEADER_ALIGNMENT_BYTES) * HEADER_ALIGNMENT_BYTES;
  if (headerByteLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `Cannot write safetensors: the header would be ${headerByteLength} bytes, over the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit that readers enforce. ` +
        'Split the tensors across several files or shorten the metadata.',
    );
  }

  const dataStartByte = LENGTH_PREFIX_BYTES + headerByteLength;
  const file = new Uint8Array(dataStartByte + dataByteLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerByteLength), true);
  file.set(headerText, LENGTH_PREFIX_BYTES);
  file.fill(SPACE, LENGTH_PREFIX_BYTES + headerText.byteLength, dataStartByte);

  let offset = dataStartByte;
  for (const [, tensor] of named) {
    writeFloat32(file, offset, tensor.data);
    offset += tensor.data.length * F32_BYTES;
  }
  return file;
}

/**
 * Decodes a safetensors file, converting F16, BF16 and F64 tensors to float32
 * (F64 values round to the nearest float32, and those beyond its range become ±Infinity).
 * The whole header and data layout are validated before any tensor is allocated.
 * Throws SafetensorsError naming the problem and, where one is at fault, the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions = {}): DecodedSafetensors {
  const header = readSafetensorsHeader(bytes, options);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of header.entries) {
    const begin = header.dataStartByte + entry.dataOffsets[0];
    const end = header.dataStartByte + entry.dataOffsets[1];
    const data = convertToFloat32(entry.dtype, bytes.subarray(begin, end), entry.elementCount);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/** Orders strings by UTF-16 code units, which unlike localeCompare gives the same order on every host. */
function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function collectTensors(tensors: SafetensorsInput): Array<[string, SafetensorsInputTensor]> {
  const named: Array<[string, SafetensorsInputTensor]> = [];
  const seen = new Set<string>();
  for (const [name, tensor] of tensors) {
    if (typeof name !== 'string') {
      throw new SafetensorsError(`Cannot write safetensors: tensor names must be strings, got ${String(name)}.`);
    }
    if (name === SAFETENSORS_METADATA_KEY) {
      throw new SafetensorsError(`Cannot write safetensors: "${SAFETENSORS_METADATA_KEY}" is reserved for metadata. Rename the tensor.`, name);
    }
    if (seen.has(name)) {
      throw new SafetensorsError(`Cannot write safetensors: the tensor name ${JSON.stringify(name)} appears twice, but names must be unique.`, name);
    }
    seen.add(name);
    checkInputTensor(name, tensor);
    named.push([name, tensor]);
  }
  return named;
}

function checkInputTensor(name: string, tensor: SafetensorsInputTensor): void {
  const label = `Cannot write safetensors: tensor ${JSON.stringify(name)}`;
  if (!(tensor?.data instanceof Float32Array)) {
    throw new SafetensorsError(`${label} must have its values in a Float32Array.`, name);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new SafetensorsError(`${label} has the invalid shape ${JSON.stringify(tensor.shape)}: use non-negative integers.`, name);
  }
  const expected = shapeElementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new SafetensorsError(
      `${label} has ${tensor.data.length} values, but its shape ${formatShape(tensor.shape)} needs ${expected}.`,
      name,
    );
  }
}

function encodeMetadata(metadata: Readonly<Record<string, string>>): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError('Cannot write safetensors: metadata must be an object of string values.');
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        `Cannot write safetensors: metadata key ${JSON.stringify(key)} has a ${typeof value} value, but safetensors metadata values must be strings.`,
      );
    }
  }
  return JSON.stringify(metadata);
}

function writeFloat32(file: Uint8Array, offset: number, values: Float32Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    // A byte copy keeps every bit, NaN payloads included.
    file.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    return;
  }
  const view = new DataView(file.buffer, file.byteOffset + offset, values.byteLength);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * F32_BYTES, values[i], true);
}

function convertToFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  switch (dtype) {
    case 'F32':
      return readFloat32(bytes, count);
    case 'F64':
      return readFloat64(bytes, count);
    case 'F16':
      return readFloat16(bytes, count);
    case 'BF16':
      return readBFloat16(bytes, count);
  }
}

/**
 * Copies `bytes` into a fresh, aligned buffer that the caller then owns. `bytes.slice()`
 * would not do: on a Node Buffer it returns a view of the shared memory, not a copy.
 */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function readFloat32(bytes: Uint8Array, count: number): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(copyBytes(bytes).buffer, 0, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = new Float32Array(count);
  for (let i = 0; i < count; i++) result[i] = view.getFloat32(i * 4, true);
  return result;
}

function readFloat64(bytes: Uint8Array, count: number): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(new Float64Array(copyBytes(bytes).buffer, 0, count));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = new Float32Array(count);
  for (let i = 0; i < count; i++) result[i] = view.getFloat64(i * 8, true);
  return result;
}

function readFloat16(bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = new Float32Array(count);
  for (let i = 0; i < count; i++) result[i] = halfToFloat(view.getUint16(i * 2, true));
  return result;
}

/** bfloat16 is the top half of a float32, so shifting its bits up gives the exact float32. */
function readBFloat16(bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = new Float32Array(count);
  const resultBits = new Uint32Array(result.buffer);
  for (let i = 0; i < count; i++) resultBits[i] = view.getUint16(i * 2, true) << 16;
  return result;
}

/** Converts IEEE 754 binary16 bits (1 sign, 5 exponent, 10 fraction bits, bias 15) to a number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
