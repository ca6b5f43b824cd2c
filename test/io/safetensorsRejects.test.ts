import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeSafetensors, SAFETENSORS_MAX_HEADER_BYTES, SafetensorsError } from '../../src/engine/io/safetensors';
import { buildSafetensors, entry, INVALID_CASES } from './safetensorsCases';

/** Decodes `bytes` and returns the SafetensorsError it raises; fails the test if it raises nothing or something else. */
function rejectionOf(bytes: Uint8Array, options?: { maxHeaderBytes?: number }): SafetensorsError {
  try {
    decodeSafetensors(bytes, options);
  } catch (error) {
    if (error instanceof SafetensorsError) return error;
    throw error;
  }
  throw new Error('decodeSafetensors accepted the file.');
}

describe('decodeSafetensors rejects', () => {
  for (const invalid of INVALID_CASES) {
    it(invalid.description, () => {
      const error = rejectionOf(invalid.bytes);
      expect(error.message).toMatch(invalid.message);
      expect(error.tensorName).toBe(invalid.tensorName);
    });
  }

  it('every error as a SafetensorsError', () => {
    const error = rejectionOf(new Uint8Array(3));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SafetensorsError');
  });
});

describe('decodeSafetensors header limit', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('rejects a header over maxHeaderBytes', () => {
    const bytes = buildSafetensors(`{}${' '.repeat(70)}`);
    const error = rejectionOf(bytes, { maxHeaderBytes: 64 });
    expect(error.message).toMatch(/the header is 72 bytes, over the limit of 64 bytes/);
  });

  it('accepts a header exactly at maxHeaderBytes', () => {
    const bytes = buildSafetensors(`{}${' '.repeat(62)}`);
    expect(decodeSafetensors(bytes, { maxHeaderBytes: 64 }).tensors.size).toBe(0);
  });

  it('rejects a header over 100 MB without decoding it', () => {
    const decode = vi.spyOn(TextDecoder.prototype, 'decode');
    const headerByteLength = SAFETENSORS_MAX_HEADER_BYTES + 1;
    // A real file of that length, so the length check against the file passes and the limit is what rejects it.
    const bytes = buildSafetensors(new Uint8Array(headerByteLength));

    const error = rejectionOf(bytes);

    expect(error.message).toMatch(/the header is 100000001 bytes, over the limit of 100000000 bytes/);
    expect(decode).not.toHaveBeenCalled();
  });

  it('rejects a header length beyond the file without decoding it', () => {
    const decode = vi.spyOn(TextDecoder.prototype, 'decode');
    const bytes = buildSafetensors('{}', 0, { claimedHeaderLength: 2n ** 40n });

    const error = rejectionOf(bytes);

    expect(error.message).toMatch(/header length is 1099511627776 bytes, but only 2 bytes follow it/);
    expect(decode).not.toHaveBeenCalled();
  });

  it('rejects an invalid maxHeaderBytes option', () => {
    expect(() => decodeSafetensors(buildSafetensors({}), { maxHeaderBytes: -1 })).toThrow(RangeError);
  });
});

describe('decodeSafetensors accepts', () => {
  it('a header padded with spaces to any length', () => {
    const header = `${JSON.stringify({ w: entry('F32', [2], [0, 8]) })}   `;
    const decoded = decodeSafetensors(buildSafetensors(header, 8));
    expect(decoded.tensors.get('w')?.shape).toEqual([2]);
  });

  it('an empty header with no data', () => {
    const decoded = decodeSafetensors(buildSafetensors('{}'));
    expect(decoded.tensors.size).toBe(0);
    expect(decoded.metadata).toEqual({});
  });

  it('entries listed out of data order', () => {
    const header = { b: entry('F32', [1], [4, 8]), a: entry('F32', [1], [0, 4]) };
    const decoded = decodeSafetensors(buildSafetensors(header, 8));
    expect([...decoded.tensors.keys()]).toEqual(['a', 'b']);
  });

  it('empty tensors at the boundaries of others', () => {
    const header = {
      first: entry('F32', [0], [0, 0]),
      a: entry('F32', [1], [0, 4]),
      middle: entry('F16', [3, 0], [4, 4]),
      b: entry('F32', [1], [4, 8]),
      last: entry('BF16', [0], [8, 8]),
    };
    const decoded = decodeSafetensors(buildSafetensors(header, 8));
    expect([...decoded.tensors.keys()]).toEqual(['first', 'a', 'middle', 'b', 'last']);
    expect(decoded.tensors.get('middle')?.data.length).toBe(0);
  });

  it('a file inside a larger buffer', () => {
    const file = buildSafetensors({ w: entry('F32', [1], [0, 4]) }, new Uint8Array(Float32Array.of(1.5).buffer));
    const outer = new Uint8Array(file.byteLength + 5);
    outer.set(file, 3);
    const decoded = decodeSafetensors(outer.subarray(3, 3 + file.byteLength));
    expect(decoded.tensors.get('w')?.data[0]).toBe(1.5);
  });
});
