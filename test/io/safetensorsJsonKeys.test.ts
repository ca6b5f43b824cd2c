import { describe, expect, it } from 'vitest';
import { findDuplicateJsonKey } from '../../src/engine/io/jsonDuplicateKey';

describe('findDuplicateJsonKey', () => {
  it('returns null for unique keys', () => {
    expect(findDuplicateJsonKey('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toBeNull();
  });

  it('finds a top-level duplicate', () => {
    expect(findDuplicateJsonKey('{"a":1,"b":2,"a":3}')).toEqual({ key: 'a', path: [] });
  });

  it('finds a duplicate in a nested object', () => {
    expect(findDuplicateJsonKey('{"w":{"dtype":"F32","shape":[1],"dtype":"F16"}}')).toEqual({ key: 'dtype', path: ['w'] });
  });

  it('gives array indices in the path', () => {
    expect(findDuplicateJsonKey('{"list":[{"x":1},{"x":1,"x":2}]}')).toEqual({ key: 'x', path: ['list', 1] });
  });

  it('compares keys after resolving escapes', () => {
    expect(findDuplicateJsonKey('{"\\u00e9":1,"é":2}')).toEqual({ key: 'é', path: [] });
  });

  it('ignores keys and brackets inside string values', () => {
    const text = '{"a":"{\\"a\\":1,\\"a\\":2}","b":"[\\\\","c":"]}"}';
    expect(JSON.parse(text)).toEqual({ a: '{"a":1,"a":2}', b: '[\\', c: ']}' });
    expect(findDuplicateJsonKey(text)).toBeNull();
  });

  it('treats values that equal a key as values', () => {
    expect(findDuplicateJsonKey('{"a":"a","b":["a","a"]}')).toBeNull();
  });
});
