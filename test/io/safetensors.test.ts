import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsInputTensor,
} from '../../src/engine/io/safetensors';
import { Rng } from '../../src/engine/tensor/random';
import { shapeElementCount, Tensor } from '../../src/engine/tensor/tensor';

const FIXTURES = fileURLToPath(new URL('../fixtures/safetensors/', import.meta.url));

/** Shapes covering a scalar, empty tensors and several ranks. */
const ROUND_TRIP_SHAPES: ReadonlyArray<readonly number[]> = [[], [0], [3, 0, 2], [1], [7], [4, 5], [2, 3, 4], [1, 1, 1, 1]];

function randomTensors(seed: number): Map<string, SafetensorsInputTensor> {
  const rng = new Rng(seed);
  const tensors = new Map<string, SafetensorsInputTensor>();
  ROUND_TRIP_SHAPES.forEach((shape, index) => {
    const data = new Float32Array(shapeElementCount(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 10 ** rng.int(7) * 1e-3;
    tensors.set(`layer${index}.weight`, { shape, data });
  });
  return tensors;
}

/** Bit patterns of float32 values, so NaN, -0 and subnormals compare exactly. */
function bitsOf(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

function readHeaderText(file: Uint8Array): { headerByteLength: number; text: string } {
  const headerByteLength = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { headerByteLength, text: new TextDecoder().decode(file.subarray(8, 8 + headerByteLength)) };
}

interface ExpectedFile {
  header_bytes: number;
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: Array<number | string> }>;
}

function expectedValue(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

describe('encodeSafetensors and decodeSafetensors', () => {
  it('round trip keeps every bit of random tensors', () => {
    const tensors = randomTensors(7);
    const decoded = decodeSafetensors(encodeSafetensors(tensors));

    expect([...decoded.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const read = decoded.tensors.get(name)!;
      expect(read.dtype).toBe('F32');
      expect(read.shape).toEqual([...tensor.shape]);
      expect(bitsOf(read.data)).toEqual(bitsOf(tensor.data));
    }
  });

  it('round trip keeps special float32 values', () => {
    const special = Float32Array.of(NaN, Infinity, -Infinity, -0, 0, 1.4e-45, 3.4028234663852886e38, -1.1754943508222875e-38);
    // A NaN with a payload, which a byte copy keeps and a DataView write might not.
    new Uint32Array(special.buffer)[0] = 0x7fc00123;
    const decoded = decodeSafetensors(encodeSafetensors([['special', { shape: [8], data: special }]]));
    expect(bitsOf(decoded.tensors.get('special')!.data)).toEqual(bitsOf(special));
  });

  it('round trip of a scalar', () => {
    const decoded = decodeSafetensors(encodeSafetensors([['loss_scale', { shape: [], data: Float32Array.of(65536) }]]));
    const scalar = decoded.tensors.get('loss_scale')!;
    expect(scalar.shape).toEqual([]);
    expect([...scalar.data]).toEqual([65536]);
  });

  it('round trip of metadata', () => {
    // Object.fromEntries makes "__proto__" an own key, where an object literal would set the prototype.
    const metadata: Record<string, string> = Object.fromEntries([
      ['format', 'pt'],
      ['note', 'poids entraînés ✓'],
      ['empty', ''],
      ['0', 'zero'],
      ['__proto__', 'kept as a key'],
    ]);
    const decoded = decodeSafetensors(encodeSafetensors(randomTensors(1), metadata));
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.getPrototypeOf(decoded.metadata)).toBe(Object.prototype);
    expect(Object.keys(decoded.metadata)).toContain('__proto__');
  });

  it('no metadata writes no __metadata__ key', () => {
    const file = encodeSafetensors(randomTensors(2));
    expect(readHeaderText(file).text).not.toContain('__metadata__');
    expect(decodeSafetensors(file).metadata).toEqual({});
  });

  it('no tensors gives a valid file', () => {
    const file = encodeSafetensors(new Map(), { format: 'pt' });
    const decoded = decodeSafetensors(file);
    expect(decoded.tensors.size).toBe(0);
    expect(decoded.metadata).toEqual({ format: 'pt' });
  });

  it('accepts engine tensors', () => {
    const weight = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const decoded = decodeSafetensors(encodeSafetensors([['fc1.weight', weight]]));
    expect(decoded.tensors.get('fc1.weight')?.shape).toEqual([2, 3]);
    expect([...decoded.tensors.get('fc1.weight')!.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes tensors in a subarray of a larger buffer', () => {
    const backing = Float32Array.of(9, 1, 2, 3, 9);
    const decoded = decodeSafetensors(encodeSafetensors([['w', { shape: [3], data: backing.subarray(1, 4) }]]));
    expect([...decoded.tensors.get('w')!.data]).toEqual([1, 2, 3]);
  });
});

describe('encodeSafetensors layout', () => {
  it('pads the header with spaces to a multiple of 8', () => {
    for (let nameLength = 1; nameLength <= 8; nameLength++) {
      const file = encodeSafetensors([['w'.repeat(nameLength), { shape: [1], data: Float32Array.of(1) }]]);
      const { headerByteLength, text } = readHeaderText(file);
      expect(headerByteLength % 8).toBe(0);
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    }
  });

  it('sorts tensors by name in header and data', () => {
    const names = ['b', 'a', '10', '9', 'a.b', 'A'];
    const tensors = names.map((name, i): [string, SafetensorsInputTensor] => [name, { shape: [1], data: Float32Array.of(i) }]);
    const file = encodeSafetensors(tensors);

    const sorted = ['10', '9', 'A', 'a', 'a.b', 'b'];
    const { text } = readHeaderText(file);
    const positions = sorted.map((name) => text.indexOf(`${JSON.stringify(name)}:`));
    expect(positions.every((position, i) => position >= 0 && (i === 0 || position > positions[i - 1]))).toBe(true);

    const decoded = decodeSafetensors(file);
    expect([...decoded.tensors.keys()]).toEqual(sorted);
  });

  it('gives identical bytes for any input order', () => {
    const tensors = randomTensors(3);
    const reversed = new Map([...tensors].reverse());
    const metadata = { b: '2', a: '1' };
    expect(encodeSafetensors(reversed, metadata)).toEqual(encodeSafetensors([...tensors], metadata));
  });

  it('writes the F32 values little-endian', () => {
    const file = encodeSafetensors([['w', { shape: [2], data: Float32Array.of(1, -2) }]]);
    const dataBytes = [...file.subarray(file.byteLength - 8)];
    expect(dataBytes).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });
});

describe('encodeSafetensors rejects', () => {
  const singleValue = { shape: [1], data: Float32Array.of(1) };

  function rejectionOf(run: () => unknown): SafetensorsError {
    try {
      run();
    } catch (error) {
      if (error instanceof SafetensorsError) return error;
      throw error;
    }
    throw new Error('encodeSafetensors accepted the input.');
  }

  it('data that does not match the shape', () => {
    const error = rejectionOf(() => encodeSafetensors([['fc1.weight', { shape: [2, 3], data: new Float32Array(5) }]]));
    expect(error.message).toMatch(/tensor "fc1.weight" has 5 values, but its shape \[2, 3\] needs 6/);
    expect(error.tensorName).toBe('fc1.weight');
  });

  it('a negative dimension', () => {
    const error = rejectionOf(() => encodeSafetensors([['w', { shape: [-1], data: new Float32Array(0) }]]));
    expect(error.message).toMatch(/tensor "w" has the invalid shape \[-1\]/);
  });

  it('data that is not a Float32Array', () => {
    const data = new Float64Array(1) as unknown as Float32Array;
    const error = rejectionOf(() => encodeSafetensors([['w', { shape: [1], data }]]));
    expect(error.message).toMatch(/tensor "w" must have its values in a Float32Array/);
  });

  it('a repeated name', () => {
    const error = rejectionOf(() => encodeSafetensors([['w', singleValue], ['w', singleValue]]));
    expect(error.message).toMatch(/the tensor name "w" appears twice/);
    expect(error.tensorName).toBe('w');
  });

  it('the reserved name __metadata__', () => {
    const error = rejectionOf(() => encodeSafetensors([['__metadata__', singleValue]]));
    expect(error.message).toMatch(/"__metadata__" is reserved for metadata/);
  });

  it('a metadata value that is not a string', () => {
    const metadata = { epochs: 5 } as unknown as Record<string, string>;
    const error = rejectionOf(() => encodeSafetensors([['w', singleValue]], metadata));
    expect(error.message).toMatch(/metadata key "epochs" has a number value/);
  });
});

describe('decodeSafetensors fixtures', () => {
  for (const fixture of ['mixed_dtypes', 'special_values', 'padded_header']) {
    it(`${fixture} matches the reference reader`, () => {
      const bytes = new Uint8Array(readFileSync(`${FIXTURES}${fixture}.safetensors`));
      const expected = JSON.parse(readFileSync(`${FIXTURES}${fixture}.expected.json`, 'utf8')) as ExpectedFile;

      const decoded = decodeSafetensors(bytes);

      expect(decoded.metadata).toEqual(expected.metadata);
      expect([...decoded.tensors.keys()]).toEqual(Object.keys(expected.tensors));
      for (const [name, want] of Object.entries(expected.tensors)) {
        const read = decoded.tensors.get(name)!;
        expect(read.dtype, name).toBe(want.dtype);
        expect(read.shape, name).toEqual(want.shape);
        expect(bitsOf(read.data), name).toEqual(bitsOf(Float32Array.from(want.values.map(expectedValue))));
      }
    });
  }

  it('mixed_dtypes converts F64 by rounding to float32', () => {
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(`${FIXTURES}mixed_dtypes.safetensors`)));
    expect([...decoded.tensors.get('double.values')!.data]).toEqual([Math.fround(0.1), -2.5, Infinity, 0]);
  });

  it('special_values reads F16 subnormals and NaN', () => {
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(`${FIXTURES}special_values.safetensors`)));
    const half = decoded.tensors.get('f16.special')!.data;
    expect(half[6]).toBe(2 ** -24);
    expect(half[8]).toBe(2 ** -14);
    expect(Number.isNaN(half[11])).toBe(true);
    expect(Object.is(half[1], -0)).toBe(true);
  });

  const invalidFixtures: Array<[string, RegExp]> = [
    ['invalid_gap', /data buffer bytes \[4, 8\) before tensor "b" belong to no tensor/],
    ['invalid_duplicate_name', /the key "w" appears twice/],
    ['invalid_truncated', /tensor "w" has data_offsets \[0, 32\] past the end of the 16-byte data buffer/],
  ];
  for (const [fixture, message] of invalidFixtures) {
    it(`${fixture} is rejected`, () => {
      const bytes = new Uint8Array(readFileSync(`${FIXTURES}${fixture}.safetensors`));
      expect(() => decodeSafetensors(bytes)).toThrow(message);
    });
  }
});

describe('decodeSafetensors on Node buffers', () => {
  it('reads values from a Buffer that shares a larger pool', () => {
    const values = Float32Array.of(1, 2, 3);
    const encoded = encodeSafetensors(new Map([['w', { shape: [3], data: values }]]));
    // Buffer.from copies into Node's shared pool, so the file bytes sit at a non-zero offset.
    const pooled = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(encoded)]).subarray(3);

    const decoded = decodeSafetensors(pooled);

    expect(Array.from(decoded.tensors.get('w')!.data)).toEqual([1, 2, 3]);
  });
});
