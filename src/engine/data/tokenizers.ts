/**
 * Tokenizers for text models. The character tokenizer gives each distinct
 * Unicode code point of a text its own id. The byte tokenizer uses the 256
 * byte values of the text's UTF-8 encoding, so it needs no vocabulary and
 * accepts any text.
 */

export type TokenizerKind = 'char' | 'byte';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabularySize: number;
  /** Returns the token ids of `text`, or throws naming the first character it cannot encode. */
  encode(text: string): Int32Array;
  /** Returns the text of `ids`, or throws naming the first id outside the vocabulary. */
  decode(ids: ArrayLike<number>): string;
}

/**
 * One id per Unicode code point, in ascending code point order, so the same
 * set of characters always gets the same ids. Surrogate pairs count as one
 * character.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  /** The character of each id. */
  readonly vocabulary: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  /** Builds a tokenizer from its characters, given in any order; ids follow code point order. */
  constructor(characters: readonly string[]) {
    if (!Array.isArray(characters) || characters.length === 0) {
      throw new Error('CharTokenizer: the vocabulary is empty; build it from a non-empty text with CharTokenizer.fromText.');
    }
    const seen = new Set<string>();
    for (const [index, character] of characters.entries()) {
      if (typeof character !== 'string' || [...character].length !== 1) {
        throw new Error(`CharTokenizer: vocabulary entry ${index} is ${JSON.stringify(character)}; every entry must be exactly one character.`);
      }
      if (seen.has(character)) throw new Error(`CharTokenizer: the vocabulary lists ${describeCharacter(character)} twice; list each character once.`);
      seen.add(character);
    }
    this.vocabulary = [...characters].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    this.ids = new Map(this.vocabulary.map((character, id) => [character, id]));
  }

  /** Builds a tokenizer whose vocabulary is every distinct character of `text`. */
  static fromText(text: string): CharTokenizer {
    if (typeof text !== 'string' || text.length === 0) throw new Error('CharTokenizer.fromText: the text is empty, so there are no characters to build a vocabulary from.');
    return new CharTokenizer([...new Set(text)]);
  }

  get vocabularySize(): number {
    return this.vocabulary.length;
  }

  encode(text: string): Int32Array {
    const characters = [...text];
    const result = new Int32Array(characters.length);
    for (let position = 0; position < characters.length; position++) {
      const id = this.ids.get(characters[position]);
      if (id === undefined) {
        throw new Error(
          `CharTokenizer: ${describeCharacter(characters[position])} at character position ${position} is not in the vocabulary of ${this.vocabularySize} characters; build the tokenizer from a text that contains it, or use the byte tokenizer.`,
        );
      }
      result[position] = id;
    }
    return result;
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      checkId('CharTokenizer', ids, i, this.vocabularySize);
      text += this.vocabulary[ids[i]];
    }
    return text;
  }
}

/** The 256 byte values of UTF-8, so every text encodes and no vocabulary is stored. */
export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte';
  readonly vocabularySize = 256;

  encode(text: string): Int32Array {
    return Int32Array.from(new TextEncoder().encode(text));
  }

  /** Decodes the bytes as UTF-8. A sampled sequence can be invalid UTF-8, so invalid bytes become U+FFFD rather than an error. */
  decode(ids: ArrayLike<number>): string {
    const bytes = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      checkId('ByteTokenizer', ids, i, 256);
      bytes[i] = ids[i];
    }
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Returns a character as `"a" (U+0061)`, readable even when it is invisible. */
export function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0)!;
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  return codePoint < 0x20 || codePoint === 0x7f ? code : `"${character}" (${code})`;
}

function checkId(tokenizer: string, ids: ArrayLike<number>, index: number, vocabularySize: number): void {
  const id = ids[index];
  if (!Number.isInteger(id) || id < 0 || id >= vocabularySize) {
    throw new Error(`${tokenizer}: ids[${index}] is ${id}, outside the vocabulary range [0, ${vocabularySize - 1}].`);
  }
}
