/**
 * Hand-built safetensors files for the reader tests: a builder that writes any
 * header text (valid or not) with any length prefix, and the table of files that
 * break one rule each. The rejection tests run the table against the engine and,
 * when numpy is available, against the Python reference reader too.
 */

export interface BuildOptions {
  /** Length written in the 8-byte prefix instead of the real header length. */
  claimedHeaderLength?: bigint;
}

/**
 * Builds a file from a header (an object is serialised as JSON, a string is written
 * as UTF-8, bytes are written unchanged) and a data buffer (a number gives that many
 * bytes counting up from 1).
 */
export function buildSafetensors(
  header: object | string | Uint8Array,
  data: Uint8Array | number = 0,
  options: BuildOptions = {},
): Uint8Array {
  const headerBytes =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const dataBytes = typeof data === 'number' ? Uint8Array.from({ length: data }, (_, i) => (i + 1) & 0xff) : data;

  const file = new Uint8Array(8 + headerBytes.byteLength + dataBytes.byteLength);
  new DataView(file.buffer).setBigUint64(0, options.claimedHeaderLength ?? BigInt(headerBytes.byteLength), true);
  file.set(headerBytes, 8);
  file.set(dataBytes, 8 + headerBytes.byteLength);
  return file;
}

/** Header entry for one tensor. */
export function entry(dtype: unknown, shape: unknown, dataOffsets: unknown): Record<string, unknown> {
  return { dtype, shape, data_offsets: dataOffsets };
}

export interface InvalidCase {
  description: string;
  bytes: Uint8Array;
  /** Pattern the error message must match. */
  message: RegExp;
  /** Tensor the error must name, or undefined for errors about the whole file. */
  tensorName?: string;
}

const weight = entry('F32', [2], [0, 8]);

export const INVALID_CASES: readonly InvalidCase[] = [
  // Length prefix.
  { description: 'empty file', bytes: new Uint8Array(0), message: /0 bytes long, shorter than the 8-byte header length/ },
  { description: 'file of 7 bytes', bytes: new Uint8Array(7), message: /7 bytes long, shorter than the 8-byte header length/ },
  {
    description: 'header length past the end of the file',
    bytes: buildSafetensors({}, 0, { claimedHeaderLength: 100n }),
    message: /header length is 100 bytes, but only 2 bytes follow it/,
  },
  {
    description: 'header length of 2^64 - 1',
    bytes: buildSafetensors({}, 0, { claimedHeaderLength: 2n ** 64n - 1n }),
    message: /header length is 18446744073709551615 bytes, but only 2 bytes follow it/,
  },

  // Header text.
  { description: 'empty header', bytes: buildSafetensors(''), message: /must be a JSON object starting with "\{", but it is empty/ },
  { description: 'header that is an array', bytes: buildSafetensors('[1, 2]'), message: /starting with "\{", but it starts with byte 0x5b/ },
  { description: 'header that is a string', bytes: buildSafetensors('"weights"'), message: /starts with byte 0x22/ },
  { description: 'header with leading space', bytes: buildSafetensors(' {}'), message: /starts with byte 0x20/ },
  {
    description: 'header with a byte order mark',
    bytes: buildSafetensors(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)),
    message: /starts with byte 0xef/,
  },
  {
    description: 'header that is not UTF-8',
    bytes: buildSafetensors(Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x7b, 0x7d, 0x7d)),
    message: /not valid UTF-8/,
  },
  { description: 'header that is not JSON', bytes: buildSafetensors('{"w": }'), message: /not valid JSON/ },
  { description: 'header cut short', bytes: buildSafetensors('{"w": {"dtype": "F32"'), message: /not valid JSON/ },

  // Entries.
  { description: 'entry that is a number', bytes: buildSafetensors({ w: 5 }), message: /tensor "w" must be an object with dtype, shape and data_offsets, got 5/, tensorName: 'w' },
  { description: 'entry that is null', bytes: buildSafetensors({ w: null }), message: /tensor "w" must be an object.*got null/, tensorName: 'w' },
  { description: 'entry that is an array', bytes: buildSafetensors({ w: [1] }), message: /tensor "w" must be an object.*got \[1\]/, tensorName: 'w' },
  {
    description: 'entry without dtype',
    bytes: buildSafetensors({ w: { shape: [2], data_offsets: [0, 8] } }, 8),
    message: /tensor "w" is missing "dtype"/,
    tensorName: 'w',
  },
  {
    description: 'entry without shape',
    bytes: buildSafetensors({ w: { dtype: 'F32', data_offsets: [0, 8] } }, 8),
    message: /tensor "w" is missing "shape"/,
    tensorName: 'w',
  },
  {
    description: 'entry without data_offsets',
    bytes: buildSafetensors({ w: { dtype: 'F32', shape: [2] } }, 8),
    message: /tensor "w" is missing "data_offsets"/,
    tensorName: 'w',
  },

  // Dtypes.
  {
    description: 'dtype I32',
    bytes: buildSafetensors({ w: entry('I32', [2], [0, 8]) }, 8),
    message: /tensor "w" has dtype "I32", which Tensorloom cannot read\. Supported dtypes: F32, F16, BF16, F64\./,
    tensorName: 'w',
  },
  {
    description: 'lowercase dtype f32',
    bytes: buildSafetensors({ w: entry('f32', [2], [0, 8]) }, 8),
    message: /dtype "f32", which Tensorloom cannot read/,
    tensorName: 'w',
  },
  {
    description: 'dtype that is a number',
    bytes: buildSafetensors({ w: entry(32, [2], [0, 8]) }, 8),
    message: /dtype 32, which Tensorloom cannot read/,
    tensorName: 'w',
  },

  // Shapes.
  {
    description: 'negative dimension',
    bytes: buildSafetensors({ w: entry('F32', [2, -1], [0, 8]) }, 8),
    message: /tensor "w" has the invalid shape \[2, -1\]: it must be an array of non-negative integers/,
    tensorName: 'w',
  },
  {
    description: 'fractional dimension',
    bytes: buildSafetensors({ w: entry('F32', [2.5], [0, 8]) }, 8),
    message: /invalid shape \[2\.5\]/,
    tensorName: 'w',
  },
  {
    description: 'dimension that overflows to Infinity',
    bytes: buildSafetensors('{"w":{"dtype":"F32","shape":[1e999],"data_offsets":[0,8]}}', 8),
    message: /invalid shape \[Infinity\]/,
    tensorName: 'w',
  },
  {
    description: 'dimension above 2^53',
    bytes: buildSafetensors('{"w":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}', 8),
    message: /invalid shape \[9007199254740992\]/,
    tensorName: 'w',
  },
  {
    description: 'dimension that is a string',
    bytes: buildSafetensors({ w: entry('F32', ['2'], [0, 8]) }, 8),
    message: /invalid shape \["2"\]/,
    tensorName: 'w',
  },
  {
    description: 'shape that is a number',
    bytes: buildSafetensors({ w: entry('F32', 2, [0, 8]) }, 8),
    message: /invalid shape 2/,
    tensorName: 'w',
  },

  // Offsets of one entry.
  {
    description: 'offset that overflows to Infinity',
    bytes: buildSafetensors('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,1e999]}}', 8),
    message: /tensor "w" has the invalid data_offsets \[0, Infinity\]: they must be two non-negative integers/,
    tensorName: 'w',
  },
  {
    description: 'negative offset',
    bytes: buildSafetensors({ w: entry('F32', [2], [-8, 0]) }, 8),
    message: /invalid data_offsets \[-8, 0\]/,
    tensorName: 'w',
  },
  {
    description: 'fractional offset',
    bytes: buildSafetensors({ w: entry('F32', [2], [0, 7.5]) }, 8),
    message: /invalid data_offsets \[0, 7\.5\]/,
    tensorName: 'w',
  },
  {
    description: 'three offsets',
    bytes: buildSafetensors({ w: entry('F32', [2], [0, 8, 16]) }, 8),
    message: /invalid data_offsets \[0, 8, 16\]/,
    tensorName: 'w',
  },
  {
    description: 'offsets that are strings',
    bytes: buildSafetensors({ w: entry('F32', [2], ['0', '8']) }, 8),
    message: /invalid data_offsets \["0", "8"\]/,
    tensorName: 'w',
  },
  {
    description: 'reversed offsets',
    bytes: buildSafetensors({ w: entry('F32', [0], [8, 0]) }, 8),
    message: /tensor "w" has reversed data_offsets \[8, 0\]/,
    tensorName: 'w',
  },
  {
    description: 'offsets past the data buffer',
    bytes: buildSafetensors({ w: entry('F32', [4], [0, 16]) }, 8),
    message: /tensor "w" has data_offsets \[0, 16\] past the end of the 8-byte data buffer/,
    tensorName: 'w',
  },
  {
    description: 'offsets shorter than shape times dtype',
    bytes: buildSafetensors({ w: entry('F32', [2, 3], [0, 16]) }, 16),
    message: /tensor "w" has data_offsets \[0, 16\] covering 16 bytes, but dtype F32 with shape \[2, 3\] needs 24 bytes/,
    tensorName: 'w',
  },
  {
    description: 'offsets longer than shape times dtype',
    bytes: buildSafetensors({ w: entry('F16', [4], [0, 16]) }, 16),
    message: /covering 16 bytes, but dtype F16 with shape \[4\] needs 8 bytes/,
    tensorName: 'w',
  },
  {
    description: 'shape whose size exceeds 2^53 bytes',
    bytes: buildSafetensors({ w: entry('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 8]) }, 8),
    message: /needs more than 2\^53 bytes/,
    tensorName: 'w',
  },

  // Layout of all entries.
  {
    description: 'overlapping tensors',
    bytes: buildSafetensors({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12),
    message: /tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
    tensorName: 'b',
  },
  {
    description: 'two tensors on the same bytes',
    bytes: buildSafetensors({ a: weight, b: weight }, 8),
    message: /tensor "b" data_offsets \[0, 8\] overlap tensor "a" \[0, 8\]/,
    tensorName: 'b',
  },
  {
    description: 'empty tensor inside another',
    bytes: buildSafetensors({ a: weight, z: entry('F32', [0], [4, 4]) }, 8),
    message: /tensor "z" data_offsets \[4, 4\] overlap tensor "a" \[0, 8\]/,
    tensorName: 'z',
  },
  {
    description: 'gap before the first tensor',
    bytes: buildSafetensors({ w: entry('F32', [1], [4, 8]) }, 8),
    message: /data buffer bytes \[0, 4\) before tensor "w" belong to no tensor/,
    tensorName: 'w',
  },
  {
    description: 'gap between tensors',
    bytes: buildSafetensors({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, 12),
    message: /data buffer bytes \[4, 8\) before tensor "b" belong to no tensor/,
    tensorName: 'b',
  },
  {
    description: 'trailing bytes after the last tensor',
    bytes: buildSafetensors({ w: weight }, 12),
    message: /data buffer bytes \[8, 12\) after the last tensor belong to no tensor/,
  },
  {
    description: 'data without any tensor',
    bytes: buildSafetensors({}, 4),
    message: /data buffer bytes \[0, 4\) after the last tensor belong to no tensor/,
  },

  // Metadata.
  {
    description: 'metadata value that is a number',
    bytes: buildSafetensors({ __metadata__: { format: 'pt', epochs: 5 } }),
    message: /__metadata__ key "epochs" has the value 5, but metadata values must be strings/,
  },
  {
    description: 'metadata value that is an object',
    bytes: buildSafetensors({ __metadata__: { nested: { a: '1' } } }),
    message: /__metadata__ key "nested" has the value \{"a":"1"\}/,
  },
  {
    description: 'metadata that is an array',
    bytes: buildSafetensors({ __metadata__: ['pt'] }),
    message: /__metadata__ must be an object of string values, got \["pt"\]/,
  },
  {
    description: 'metadata that is null',
    bytes: buildSafetensors({ __metadata__: null }),
    message: /__metadata__ must be an object of string values, got null/,
  },

  // Duplicate keys, which JSON.parse would merge silently.
  {
    description: 'duplicate tensor name',
    bytes: buildSafetensors(
      '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
      8,
    ),
    message: /the key "w" appears twice/,
    tensorName: 'w',
  },
  {
    description: 'duplicate name spelled with an escape',
    bytes: buildSafetensors(
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      8,
    ),
    message: /the key "w" appears twice/,
    tensorName: 'w',
  },
  {
    description: 'duplicate field in an entry',
    bytes: buildSafetensors('{"w":{"dtype":"I32","shape":[2],"data_offsets":[0,8],"dtype":"F32"}}', 8),
    message: /tensor "w" has the key "dtype" twice/,
    tensorName: 'w',
  },
  {
    description: 'duplicate metadata key',
    bytes: buildSafetensors('{"__metadata__":{"format":"pt","format":"np"}}'),
    message: /__metadata__ has the key "format" twice/,
  },
  {
    description: 'duplicate metadata object',
    bytes: buildSafetensors('{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"}}'),
    message: /the key "__metadata__" appears twice/,
  },
];
