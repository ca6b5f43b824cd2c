import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadBrownCorpus, loadTextFile, untagBrownDocument } from '../../src/main/data/textCorpus';
import { CharTokenizer } from '../../src/engine/data/tokenizers';
import { buildTextDataset } from '../../src/engine/data/text';

describe('Brown corpus', () => {
  test('untagBrownDocument strips tags and joins punctuation', () => {
    const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, and/cc 1/2/cd ./.\n\n\n\tIt/pps ended/vbd (/( finally/rb )/) ./.\n";
    expect(untagBrownDocument(tagged)).toBe('The jury said "no evidence", and 1/2.\nIt ended (finally).');
  });

  test('loadBrownCorpus returns all 500 documents as plain text', () => {
    const corpus = loadBrownCorpus();
    expect(corpus.documentCount).toBe(500);
    expect(corpus.characterCount).toBe(5966175);
    expect(corpus.text.startsWith('The Fulton County Grand Jury said Friday an investigation of')).toBe(true);
  });

  test('loadBrownCorpus leaves no part-of-speech tags', () => {
    const { text } = loadBrownCorpus();
    expect(text).not.toMatch(/[A-Za-z]\/(at|nn|vbd|in|np)\b/);
    expect(text).not.toContain('``');
  });

  test('loadBrownCorpus text builds a character dataset', () => {
    const { text } = loadBrownCorpus();
    const sample = text.slice(0, 200_000);
    const dataset = buildTextDataset(sample, CharTokenizer.fromText(sample), { contextLength: 64, validationFraction: 0.1, seed: 1 });
    expect(dataset.unigramEntropyNats).toBeGreaterThan(2.5);
    expect(dataset.unigramEntropyNats).toBeLessThan(3.5);
  });
});

describe('loadTextFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tensorloom-text-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const write = (name: string, contents: string | Uint8Array) => {
    const path = join(folder, name);
    writeFileSync(path, contents);
    return path;
  };

  test('loadTextFile reads a UTF-8 file', () => {
    const path = write('poem.txt', 'Über den Wolken 😀\n');
    expect(loadTextFile(path)).toEqual({ source: path, text: 'Über den Wolken 😀\n', characterCount: 18 });
  });

  test('loadTextFile rejects an empty file with its path', () => {
    const path = write('empty.txt', '');
    expect(() => loadTextFile(path)).toThrow(`Text file ${path}: the file is empty`);
  });

  test('loadTextFile rejects a whitespace-only file with its path', () => {
    const path = write('blank.txt', ' \n\n\t');
    expect(() => loadTextFile(path)).toThrow(`Text file ${path} contains only whitespace`);
  });

  test('loadTextFile rejects a binary file with its path', () => {
    const path = write('image.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00));
    expect(() => loadTextFile(path)).toThrow(`Text file ${path}: byte 8 is NUL, so this looks like a binary file`);
  });

  test('loadTextFile rejects a Latin-1 file with its path', () => {
    const path = write('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x0a)); // "café" in ISO-8859-1
    expect(() => loadTextFile(path)).toThrow(`Text file ${path}: the bytes at offset 3 are not valid UTF-8; re-save the file as UTF-8 text.`);
  });

  test('loadTextFile rejects a missing file with its path', () => {
    const path = join(folder, 'missing.txt');
    expect(() => loadTextFile(path)).toThrow(`Cannot read text file ${path}: ENOENT`);
  });
});
