import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../src/engine/io/jsonSyntax';
import { Rng } from '../../src/engine/tensor/random';

const exampleText = readFileSync(new URL('../../resources/examples/mnist-mlp.json', import.meta.url), 'utf8');

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('findJsonSyntaxError', () => {
  it('accepts valid JSON', () => {
    expect(findJsonSyntaxError(exampleText)).toBeNull();
    expect(findJsonSyntaxError('[1, -0.5e3, "a\\u00e9\\n", true, false, null, {}]')).toBeNull();
  });

  it('points at a trailing comma', () => {
    expect(findJsonSyntaxError('{"a": 1,}')).toMatchObject({
      line: 1,
      column: 9,
      truncated: false,
      reason: 'expected a property name in double quotes, found "}"',
    });
  });

  it('points at a missing comma on the next line', () => {
    expect(findJsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toMatchObject({
      line: 3,
      column: 3,
      reason: 'expected "," or "}" after a property value, found "\\""',
    });
  });

  it('reports single quotes', () => {
    expect(findJsonSyntaxError("{'a': 1}")!.reason).toBe('expected a property name in double quotes, found "\'"');
  });

  it('reports a raw line break in a string', () => {
    expect(findJsonSyntaxError('{"a": "x\ny"}')!.reason).toContain('raw control character');
  });

  it('reports content after the document', () => {
    expect(findJsonSyntaxError('{} {}')).toMatchObject({ column: 4, reason: 'found "{" after the end of the JSON document' });
  });

  it('reports a text cut off inside an object as truncated', () => {
    expect(findJsonSyntaxError('{"a": [1, 2')).toMatchObject({ truncated: true, offset: 11, reason: 'the text ends inside a list that is never closed' });
  });

  it('reports a text cut off inside a literal as truncated', () => {
    expect(findJsonSyntaxError('{"a": tr')).toMatchObject({ truncated: true, reason: 'the text ends inside true' });
  });

  it('reports a text cut off inside a number as truncated', () => {
    expect(findJsonSyntaxError('[1.')).toMatchObject({ truncated: true, reason: 'the text ends inside a number' });
  });

  it('finds every truncation of a project', () => {
    for (let length = 1; length < exampleText.trimEnd().length; length += 7) {
      const found = findJsonSyntaxError(exampleText.slice(0, length));
      expect(found?.truncated, `cut at ${length}`).toBe(true);
    }
  });

  it('agrees with JSON.parse on random one-character edits', () => {
    const rng = new Rng(11);
    const alphabet = '{}[],:"\\ 0123456789-.eEtrufalsn\nx';
    for (let trial = 0; trial < 2000; trial++) {
      const at = rng.int(exampleText.length);
      const replacement = alphabet[rng.int(alphabet.length)];
      const edited = exampleText.slice(0, at) + replacement + exampleText.slice(at + 1);
      expect(findJsonSyntaxError(edited) === null, `edit ${JSON.stringify(replacement)} at ${at}`).toBe(parses(edited));
    }
  });
});
