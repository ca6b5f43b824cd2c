import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/engine/tensor/random';
import { ByteTokenizer, CharTokenizer } from '../../src/engine/data/tokenizers';
import { buildTextDataset, checkText, decodeTextBytes, sampleTextBatch, textWindowBatch, type TextSplit } from '../../src/engine/data/text';

const SAMPLE = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);

describe('CharTokenizer', () => {
  test('CharTokenizer sorts its vocabulary by code point', () => {
    expect(CharTokenizer.fromText('banana!').vocabulary).toEqual(['!', 'a', 'b', 'n']);
  });

  test('CharTokenizer gives the same ids whatever the text order', () => {
    expect(CharTokenizer.fromText('cab').vocabulary).toEqual(CharTokenizer.fromText('abc').vocabulary);
  });

  test('CharTokenizer round-trips its text', () => {
    const tokenizer = CharTokenizer.fromText(SAMPLE);
    expect(tokenizer.decode(tokenizer.encode(SAMPLE))).toBe(SAMPLE);
  });

  test('CharTokenizer counts a surrogate pair as one character', () => {
    const tokenizer = CharTokenizer.fromText('a😀b');
    expect(tokenizer.vocabularySize).toBe(3);
    expect([...tokenizer.encode('😀a')]).toEqual([2, 0]);
  });

  test('CharTokenizer rejects an unknown character with its position', () => {
    expect(() => CharTokenizer.fromText('abc').encode('abxc')).toThrow(
      'CharTokenizer: "x" (U+0078) at character position 2 is not in the vocabulary of 3 characters',
    );
  });

  test('CharTokenizer names an invisible unknown character by code', () => {
    expect(() => CharTokenizer.fromText('abc').encode('a\tb')).toThrow('CharTokenizer: U+0009 at character position 1');
  });

  test('CharTokenizer rejects an id outside the vocabulary', () => {
    expect(() => CharTokenizer.fromText('abc').decode([0, 3])).toThrow('CharTokenizer: ids[1] is 3, outside the vocabulary range [0, 2].');
  });

  test('CharTokenizer rejects an empty text', () => {
    expect(() => CharTokenizer.fromText('')).toThrow('CharTokenizer.fromText: the text is empty');
  });

  test('CharTokenizer rejects a repeated vocabulary entry', () => {
    expect(() => new CharTokenizer(['a', 'b', 'a'])).toThrow('CharTokenizer: the vocabulary lists "a" (U+0061) twice');
  });
});

describe('ByteTokenizer', () => {
  test('ByteTokenizer encodes UTF-8 bytes', () => {
    expect([...new ByteTokenizer().encode('aé')]).toEqual([0x61, 0xc3, 0xa9]);
  });

  test('ByteTokenizer round-trips any text', () => {
    const tokenizer = new ByteTokenizer();
    const text = 'naïve café 😀 ∑';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  test('ByteTokenizer decodes a cut sequence to the replacement character', () => {
    expect(new ByteTokenizer().decode([0x61, 0xc3])).toBe('a\ufffd');
  });

  test('ByteTokenizer rejects an id above 255', () => {
    expect(() => new ByteTokenizer().decode([256])).toThrow('ByteTokenizer: ids[0] is 256, outside the vocabulary range [0, 255].');
  });
});

function windowsInsideSegments(split: TextSplit, contextLength: number): boolean {
  return [...split.windowStarts].every((start) => split.segments.some((segment) => start >= segment.start && start + contextLength < segment.end));
}

describe('buildTextDataset', () => {
  const tokenizer = CharTokenizer.fromText(SAMPLE);
  const dataset = buildTextDataset(SAMPLE, tokenizer, { contextLength: 16, validationFraction: 0.2, seed: 5 });

  test('buildTextDataset holds out whole blocks for validation', () => {
    const trainTokens = dataset.train.tokenCount;
    const validationTokens = dataset.validation.tokenCount;
    expect(trainTokens + validationTokens).toBe(SAMPLE.length);
    expect(validationTokens / SAMPLE.length).toBeCloseTo(0.2, 1);
  });

  test('buildTextDataset keeps every window inside its own split', () => {
    expect(windowsInsideSegments(dataset.train, 16)).toBe(true);
    expect(windowsInsideSegments(dataset.validation, 16)).toBe(true);
  });

  test('buildTextDataset shares no token position between the splits', () => {
    const trainPositions = new Set<number>();
    for (const { start, end } of dataset.train.segments) for (let i = start; i < end; i++) trainPositions.add(i);
    const overlap = dataset.validation.segments.some(({ start, end }) => {
      for (let i = start; i < end; i++) if (trainPositions.has(i)) return true;
      return false;
    });
    expect(overlap).toBe(false);
  });

  test('buildTextDataset with the same seed picks the same validation blocks', () => {
    const again = buildTextDataset(SAMPLE, tokenizer, { contextLength: 16, validationFraction: 0.2, seed: 5 });
    expect(again.validation.segments).toEqual(dataset.validation.segments);
  });

  test('buildTextDataset with another seed picks other validation blocks', () => {
    const other = buildTextDataset(SAMPLE, tokenizer, { contextLength: 16, validationFraction: 0.2, seed: 6 });
    expect(other.validation.segments).not.toEqual(dataset.validation.segments);
  });

  test('buildTextDataset with validationFraction 0 trains on everything', () => {
    const all = buildTextDataset(SAMPLE, tokenizer, { contextLength: 16, validationFraction: 0, seed: 5 });
    expect(all.validation.windowStarts.length).toBe(0);
    expect(all.train.windowStarts.length).toBe(SAMPLE.length - 16);
  });

  test('buildTextDataset computes the unigram entropy of the training text', () => {
    const text = 'aaab'.repeat(50);
    const small = buildTextDataset(text, CharTokenizer.fromText(text), { contextLength: 3, validationFraction: 0, seed: 1 });
    expect(small.unigramEntropyNats).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 10);
  });

  test('textWindowBatch targets are the inputs shifted by one token', () => {
    const batch = textWindowBatch(dataset, dataset.train, [0, 5]);
    expect(batch.shape).toEqual([2, 16]);
    const start = dataset.train.windowStarts[5];
    expect([...batch.inputs.subarray(16)]).toEqual([...dataset.tokens.subarray(start, start + 16)]);
    expect([...batch.targets.subarray(16)]).toEqual([...dataset.tokens.subarray(start + 1, start + 17)]);
  });

  test('sampleTextBatch with the same seed draws the same windows', () => {
    const first = sampleTextBatch(dataset, dataset.train, 4, new Rng(2));
    const second = sampleTextBatch(dataset, dataset.train, 4, new Rng(2));
    expect([...first.inputs]).toEqual([...second.inputs]);
  });

  test('buildTextDataset works with the byte tokenizer', () => {
    const bytes = buildTextDataset('héllo wörld '.repeat(10), new ByteTokenizer(), { contextLength: 8, validationFraction: 0.1, seed: 1 });
    expect(bytes.tokens.length).toBe(14 * 10);
  });

  test('buildTextDataset rejects an empty text', () => {
    expect(() => buildTextDataset('', tokenizer, { contextLength: 4, validationFraction: 0.1, seed: 1 })).toThrow('buildTextDataset: the text is empty');
  });

  test('buildTextDataset rejects a text with a NUL character', () => {
    expect(() => buildTextDataset('abc\u0000def', tokenizer, { contextLength: 2, validationFraction: 0, seed: 1 })).toThrow(
      'buildTextDataset: the text contains a NUL character at offset 3, so it looks like binary data',
    );
  });

  test('buildTextDataset rejects a context longer than the text', () => {
    expect(() => buildTextDataset('the cat', tokenizer, { contextLength: 7, validationFraction: 0, seed: 1 })).toThrow(
      'buildTextDataset: a context length of 7 needs at least 8 tokens, but the text has 7',
    );
  });

  test('buildTextDataset rejects a text too short for a validation split', () => {
    expect(() => buildTextDataset('the cat sat', tokenizer, { contextLength: 8, validationFraction: 0.1, seed: 1 })).toThrow(
      'enough for 1 block(s) of 9, and validation would take 1 of them, leaving none to train on',
    );
  });

  test('buildTextDataset rejects a validationFraction of 1', () => {
    expect(() => buildTextDataset(SAMPLE, tokenizer, { contextLength: 8, validationFraction: 1, seed: 1 })).toThrow(
      'buildTextDataset: validationFraction must be in [0, 1), got 1.',
    );
  });

  test('buildTextDataset rejects a character outside the tokenizer', () => {
    expect(() => buildTextDataset('the zebra', tokenizer, { contextLength: 2, validationFraction: 0, seed: 1 })).toThrow('"z" (U+007A) at character position 4');
  });
});

describe('text checks', () => {
  test('checkText rejects an unpaired surrogate', () => {
    expect(() => checkText('ab\ud800c', 'notes.txt')).toThrow('notes.txt: the text contains an unpaired surrogate (U+D800) at offset 2');
  });

  test('checkText accepts a surrogate pair', () => {
    expect(() => checkText('a😀', 'notes.txt')).not.toThrow();
  });

  test('decodeTextBytes decodes UTF-8 and drops a byte order mark', () => {
    expect(decodeTextBytes(Uint8Array.of(0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9), 'x.txt')).toBe('hé');
  });

  test('decodeTextBytes rejects invalid UTF-8 with its offset', () => {
    expect(() => decodeTextBytes(Uint8Array.of(0x61, 0x62, 0xff, 0x63), 'x.txt')).toThrow('x.txt: the bytes at offset 2 are not valid UTF-8');
  });

  test('decodeTextBytes rejects an overlong encoding', () => {
    expect(() => decodeTextBytes(Uint8Array.of(0x61, 0xc0, 0xaf), 'x.txt')).toThrow('x.txt: the bytes at offset 1 are not valid UTF-8');
  });

  test('decodeTextBytes rejects an encoded surrogate', () => {
    expect(() => decodeTextBytes(Uint8Array.of(0xed, 0xa0, 0x80), 'x.txt')).toThrow('x.txt: the bytes at offset 0 are not valid UTF-8');
  });

  test('decodeTextBytes rejects a sequence cut at the end', () => {
    expect(() => decodeTextBytes(Uint8Array.of(0x61, 0xe2, 0x82), 'x.txt')).toThrow('x.txt: the bytes at offset 1 are not valid UTF-8');
  });

  test('decodeTextBytes rejects a NUL byte', () => {
    expect(() => decodeTextBytes(Uint8Array.of(0x61, 0x00), 'x.txt')).toThrow('x.txt: byte 1 is NUL, so this looks like a binary file');
  });

  test('decodeTextBytes accepts four-byte characters', () => {
    expect(decodeTextBytes(new TextEncoder().encode('a😀b'), 'x.txt')).toBe('a😀b');
  });
});
