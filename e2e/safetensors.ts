/**
 * A small safetensors reader and writer for the tests, independent of the app's
 * own: 8 bytes of little-endian header length, the JSON header, then the data.
 */

export interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  headerByteCount: number;
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string> | undefined;
  dataByteCount: number;
}

export function readSafetensors(bytes: Buffer): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`safetensors file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const headerByteCount = Number(bytes.readBigUInt64LE(0));
  if (8 + headerByteCount > bytes.length) throw new Error(`header length ${headerByteCount} runs past the end of the ${bytes.length}-byte file`);

  const header = JSON.parse(bytes.subarray(8, 8 + headerByteCount).toString('utf8')) as Record<string, unknown>;
  const { __metadata__: metadata, ...tensors } = header;
  return {
    headerByteCount,
    tensors: tensors as Record<string, TensorEntry>,
    metadata: metadata as Record<string, string> | undefined,
    dataByteCount: bytes.length - 8 - headerByteCount,
  };
}

/** Writes F32 tensors filled with zeros, with the header padded to a multiple of 8 bytes. */
export function writeZeroSafetensors(shapes: Record<string, number[]>): Buffer {
  const header: Record<string, TensorEntry> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const byteCount = 4 * shape.reduce((product, dim) => product * dim, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + byteCount] };
    offset += byteCount;
  }

  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json, 'utf8'), Buffer.alloc(offset)]);
}
