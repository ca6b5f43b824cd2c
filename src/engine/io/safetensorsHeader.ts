/**
 * Reading and validation of a safetensors header, before any tensor data is touched.
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8
 * JSON, then the data buffer. The JSON is an object mapping each tensor name to
 * `{ "dtype", "shape", "data_offsets": [begin, end] }`, with offsets relative to the
 * start of the data buffer and `end` exclusive, plus an optional `"__metadata__"`
 * object of string values.
 *
 * The rules enforced here come from the safetensors format description (the
 * huggingface/safetensors README and its Rust reader, tensor.rs). The header starts
 * with `{` and may be padded with spaces. It is at most 100,000,000 bytes. Keys are
 * unique. The tensors' byte ranges are contiguous and cover the data buffer exactly,
 * with no overlap and no gap.
 */

import { findDuplicateJsonKey } from './jsonDuplicateKey';

/** Header size limit of the reference Rust reader (`MAX_HEADER_SIZE`), which rejects larger headers as hostile. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of each dtype Tensorloom reads. */
export const SAFETENSORS_DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, F64: 8 } as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

export const SUPPORTED_SAFETENSORS_DTYPES = Object.keys(SAFETENSORS_DTYPE_BYTES) as readonly SafetensorsDtype[];

export const SAFETENSORS_METADATA_KEY = '__metadata__';

/** A malformed or unsupported safetensors file. `tensorName` is set when one tensor's entry is at fault. */
export class SafetensorsError extends Error {
  readonly tensorName?: string;

  constructor(message: string, tensorName?: string) {
    super(message);
    this.name = 'SafetensorsError';
    if (tensorName !== undefined) this.tensorName = tensorName;
  }
}

export interface SafetensorsReadOptions {
  /** Largest header accepted, in bytes. Defaults to SAFETENSORS_MAX_HEADER_BYTES. */
  maxHeaderBytes?: number;
}

/** One tensor as the header describes it, already checked against the data buffer. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  elementCount: number;
  /** Byte range `[begin, end)` relative to the start of the data buffer. */
  dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  /** Entries in data buffer order (by begin offset, then end offset). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file: 8 plus the header length. */
  dataStartByte: number;
}

const LENGTH_PREFIX_BYTES = 8;
const OPEN_BRACE = 0x7b;

/**
 * Reads and validates the header of the safetensors file in `bytes`. Every claimed
 * length and offset is checked against the real byte length first, so a hostile
 * file cannot make the reader allocate or read past its end.
 * Throws SafetensorsError naming the first problem found.
 */
export function readSafetensorsHeader(bytes: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsHeader {
  const maxHeaderBytes = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 0) {
    throw new RangeError(`maxHeaderBytes must be a non-negative integer, got ${maxHeaderBytes}.`);
  }

  const headerByteLength = readHeaderLength(bytes, maxHeaderBytes);
  const dataStartByte = LENGTH_PREFIX_BYTES + headerByteLength;
  const dataByteLength = bytes.byteLength - dataStartByte;
  const header = parseHeaderJson(bytes.subarray(LENGTH_PREFIX_BYTES, dataStartByte));

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === SAFETENSORS_METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value, dataByteLength));
  }

  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  checkDataLayout(entries, dataByteLength);
  return { entries, metadata, dataStartByte };
}

function readHeaderLength(bytes: Uint8Array, maxHeaderBytes: number): number {
  if (bytes.byteLength < LENGTH_PREFIX_BYTES) {
    throw new SafetensorsError(
      `Invalid safetensors file: it is ${bytes.byteLength} bytes long, shorter than the 8-byte header length. ` +
        'The file is empty or truncated. Save or export the weights again.',
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_PREFIX_BYTES);
  const claimedLength = view.getBigUint64(0, true);
  const bytesAfterPrefix = bytes.byteLength - LENGTH_PREFIX_BYTES;
  if (claimedLength > BigInt(bytesAfterPrefix)) {
    throw new SafetensorsError(
      `Invalid safetensors file: the header length is ${claimedLength} bytes, but only ${bytesAfterPrefix} bytes follow it. ` +
        'The file is truncated or is not a safetensors file.',
    );
  }
  if (claimedLength > BigInt(maxHeaderBytes)) {
    throw new SafetensorsError(
      `Invalid safetensors file: the header is ${claimedLength} bytes, over the limit of ${maxHeaderBytes} bytes. ` +
        'Headers this large are rejected as likely hostile. Check where the file came from.',
    );
  }
  return Number(claimedLength);
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  if (headerBytes.byteLength === 0 || headerBytes[0] !== OPEN_BRACE) {
    const start = headerBytes.byteLength === 0 ? 'is empty' : `starts with byte 0x${headerBytes[0].toString(16).padStart(2, '0')}`;
    throw new SafetensorsError(
      `Invalid safetensors header: it must be a JSON object starting with "{", but it ${start}. The file is corrupt or is not a safetensors file.`,
    );
  }

  let text: string;
  try {
    // fatal: true rejects invalid UTF-8 rather than replacing it with U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('Invalid safetensors header: it is not valid UTF-8. The file is corrupt or is not a safetensors file.');
  }

  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(
      `Invalid safetensors header: it is not valid JSON (${(error as Error).message}). The file is corrupt or is not a safetensors file.`,
    );
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError(`Invalid safetensors header: it must be a JSON object, got ${describeValue(header)}.`);
  }

  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== null) throw duplicateKeyError(duplicate.key, duplicate.path);
  return header;
}

function duplicateKeyError(key: string, path: ReadonlyArray<string | number>): SafetensorsError {
  if (path.length === 0) {
    return new SafetensorsError(
      `Invalid safetensors header: the key ${JSON.stringify(key)} appears twice. Names must be unique, so the file is ambiguous. Export it again.`,
      key === SAFETENSORS_METADATA_KEY ? undefined : key,
    );
  }
  const owner = String(path[0]);
  const where = owner === SAFETENSORS_METADATA_KEY ? SAFETENSORS_METADATA_KEY : `tensor ${JSON.stringify(owner)}`;
  return new SafetensorsError(
    `Invalid safetensors header: ${where} has the key ${JSON.stringify(key)} twice, so the file is ambiguous. Export it again.`,
    owner === SAFETENSORS_METADATA_KEY ? undefined : owner,
  );
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) {
    throw new SafetensorsError(
      `Invalid safetensors header: ${SAFETENSORS_METADATA_KEY} must be an object of string values, got ${describeValue(value)}.`,
    );
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new SafetensorsError(
        `Invalid safetensors header: ${SAFETENSORS_METADATA_KEY} key ${JSON.stringify(key)} has the value ${describeValue(entry)}, ` +
          'but metadata values must be strings. Write the value as a string.',
      );
    }
  }
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function parseEntry(name: string, value: unknown, dataByteLength: number): SafetensorsEntry {
  const tensor = `Invalid safetensors header: tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`${tensor} must be an object with dtype, shape and data_offsets, got ${describeValue(value)}.`, name);
  }
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in value)) throw new SafetensorsError(`${tensor} is missing "${field}".`, name);
  }

  const dtype = value.dtype;
  if (typeof dtype !== 'string' || !(SUPPORTED_SAFETENSORS_DTYPES as readonly string[]).includes(dtype)) {
    throw new SafetensorsError(
      `${tensor} has dtype ${describeValue(dtype)}, which Tensorloom cannot read. ` +
        `Supported dtypes: ${SUPPORTED_SAFETENSORS_DTYPES.join(', ')}. Convert the tensor to one of them and save the file again.`,
      name,
    );
  }

  const shape = value.shape;
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    throw new SafetensorsError(
      `${tensor} has the invalid shape ${describeValue(shape)}: it must be an array of non-negative integers.`,
      name,
    );
  }

  const offsets = value.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger)) {
    throw new SafetensorsError(
      `${tensor} has the invalid data_offsets ${describeValue(offsets)}: they must be two non-negative integers [begin, end].`,
      name,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new SafetensorsError(`${tensor} has reversed data_offsets [${begin}, ${end}]: begin must not exceed end.`, name);
  }
  if (end > dataByteLength) {
    throw new SafetensorsError(
      `${tensor} has data_offsets [${begin}, ${end}] past the end of the ${dataByteLength}-byte data buffer. The file is truncated or corrupt.`,
      name,
    );
  }

  const typedDtype = dtype as SafetensorsDtype;
  const elementCount = countElements(shape as number[]);
  const expectedBytes = elementCount * SAFETENSORS_DTYPE_BYTES[typedDtype];
  if (expectedBytes !== end - begin) {
    throw new SafetensorsError(
      `${tensor} has data_offsets [${begin}, ${end}] covering ${end - begin} bytes, but dtype ${dtype} with shape ` +
        `${describeValue(shape)} needs ${Number.isFinite(expectedBytes) ? expectedBytes : 'more than 2^53'} bytes.`,
      name,
    );
  }

  return { name, dtype: typedDtype, shape: [...(shape as number[])], elementCount, dataOffsets: [begin, end] };
}

/** Returns the product of the dimensions, or Infinity when it exceeds the safe integer range. */
function countElements(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return count;
}

/** Checks that the entries, sorted by offset, tile the data buffer from 0 to its end without overlap or gap. */
function checkDataLayout(entries: readonly SafetensorsEntry[], dataByteLength: number): void {
  let coveredEnd = 0;
  let previous: SafetensorsEntry | null = null;

  for (const entry of entries) {
    const [begin, end] = entry.dataOffsets;
    if (previous !== null && begin < coveredEnd) {
      throw new SafetensorsError(
        `Invalid safetensors header: tensor ${JSON.stringify(entry.name)} data_offsets [${begin}, ${end}] overlap tensor ` +
          `${JSON.stringify(previous.name)} [${previous.dataOffsets[0]}, ${previous.dataOffsets[1]}]. The file is corrupt. Export it again.`,
        entry.name,
      );
    }
    if (begin > coveredEnd) {
      throw new SafetensorsError(
        `Invalid safetensors header: data buffer bytes [${coveredEnd}, ${begin}) before tensor ${JSON.stringify(entry.name)} ` +
          'belong to no tensor, but the tensors must cover the data buffer without gaps. The file is corrupt. Export it again.',
        entry.name,
      );
    }
    coveredEnd = end;
    previous = entry;
  }

  if (coveredEnd !== dataByteLength) {
    throw new SafetensorsError(
      `Invalid safetensors file: data buffer bytes [${coveredEnd}, ${dataByteLength}) after the last tensor belong to no tensor, ` +
        'but the tensors must cover the data buffer exactly. The file has trailing bytes or a missing entry. Export it again.',
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Formats a parsed JSON value for an error message, keeping numbers JSON.stringify would hide (Infinity) and cutting long text. */
function describeValue(value: unknown): string {
  const text = formatJsonValue(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatJsonValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatJsonValue).join(', ')}]`;
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}
