/**
 * Locates the first syntax error in a JSON text, with line and column, because
 * `JSON.parse` messages differ between engines and some give no position.
 * Only called after `JSON.parse` has failed, so it favours clear messages over speed.
 */

export interface JsonSyntaxError {
  /** Offset of the offending character in UTF-16 code units, or the text length when the text ends early. */
  offset: number;
  /** 1-based line and column of `offset`. */
  line: number;
  column: number;
  /** True when the text ends inside a value, as a file cut off while writing does. */
  truncated: boolean;
  /** Description of the expected and the found token, without the position. */
  reason: string;
}

class SyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
    readonly truncated: boolean,
  ) {
    super(reason);
  }
}

/** Returns the first syntax error in `text`, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  try {
    const scanner = new Scanner(text);
    scanner.skipWhitespace();
    scanner.value('a value');
    scanner.skipWhitespace();
    if (scanner.offset < text.length) {
      scanner.fail(`found ${scanner.describeNext()} after the end of the JSON document`);
    }
    return null;
  } catch (error) {
    if (error instanceof SyntaxFailure) return { ...lineAndColumn(text, error.offset), offset: error.offset, truncated: error.truncated, reason: error.reason };
    // A nesting deep enough to exhaust the call stack has no single offending character to point at.
    if (error instanceof RangeError) return { offset: 0, line: 1, column: 1, truncated: false, reason: 'the values are nested too deeply' };
    throw error;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX_DIGIT = /^[0-9a-fA-F]$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Scanner {
  offset = 0;

  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new SyntaxFailure(this.offset, reason, false);
  }

  /** Throws the truncation error when the text has ended; `context` names what is still open. */
  requireMore(context: string): void {
    if (this.offset >= this.text.length) throw new SyntaxFailure(this.text.length, `the text ends ${context}`, true);
  }

  describeNext(): string {
    const char = this.text[this.offset];
    return char === undefined ? 'the end of the text' : JSON.stringify(char);
  }

  skipWhitespace(): void {
    while (this.offset < this.text.length && WHITESPACE.has(this.text[this.offset])) this.offset++;
  }

  value(expected: string): void {
    this.requireMore(`where ${expected} should be`);
    const char = this.text[this.offset];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return this.string();
    if (char === '-' || (char >= '0' && char <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return;
      }
      if (this.text.length - this.offset < literal.length && literal.startsWith(this.text.slice(this.offset))) {
        throw new SyntaxFailure(this.text.length, `the text ends inside ${literal}`, true);
      }
    }
    this.fail(`expected ${expected}, found ${this.describeNext()}`);
  }

  object(): void {
    this.offset++;
    this.skipWhitespace();
    this.requireMore('inside an object that is never closed');
    if (this.text[this.offset] === '}') {
      this.offset++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      this.requireMore('inside an object that is never closed');
      if (this.text[this.offset] !== '"') this.fail(`expected a property name in double quotes, found ${this.describeNext()}`);
      this.string();
      this.skipWhitespace();
      this.requireMore('inside an object that is never closed');
      if (this.text[this.offset] !== ':') this.fail(`expected ":" after the property name, found ${this.describeNext()}`);
      this.offset++;
      this.skipWhitespace();
      this.value('a property value');
      this.skipWhitespace();
      this.requireMore('inside an object that is never closed');
      const next = this.text[this.offset++];
      if (next === '}') return;
      if (next !== ',') {
        this.offset--;
        this.fail(`expected "," or "}" after a property value, found ${this.describeNext()}`);
      }
    }
  }

  array(): void {
    this.offset++;
    this.skipWhitespace();
    this.requireMore('inside a list that is never closed');
    if (this.text[this.offset] === ']') {
      this.offset++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      this.value('a list item');
      this.skipWhitespace();
      this.requireMore('inside a list that is never closed');
      const next = this.text[this.offset++];
      if (next === ']') return;
      if (next !== ',') {
        this.offset--;
        this.fail(`expected "," or "]" after a list item, found ${this.describeNext()}`);
      }
    }
  }

  string(): void {
    this.offset++;
    for (;;) {
      this.requireMore('inside a string that is never closed');
      const char = this.text[this.offset];
      if (char === '"') {
        this.offset++;
        return;
      }
      if (char === '\\') {
        this.offset++;
        this.requireMore('inside a string that is never closed');
        const escape = this.text[this.offset];
        if (escape === 'u') {
          for (let i = 1; i <= 4; i++) {
            this.offset++;
            this.requireMore('inside a string that is never closed');
            if (!HEX_DIGIT.test(this.text[this.offset])) this.fail(`expected four hex digits after \\u, found ${this.describeNext()}`);
          }
        } else if (!ESCAPES.has(escape)) {
          this.fail(`invalid escape \\${escape} in a string`);
        }
        this.offset++;
        continue;
      }
      if (char < ' ') this.fail('a string contains a raw control character such as a line break. Write it as an escape like \\n');
      this.offset++;
    }
  }

  number(): void {
    NUMBER.lastIndex = this.offset;
    const match = NUMBER.exec(this.text);
    if (match === null) {
      // Only a lone minus sign gets here, because value() calls this on "-" or a digit.
      this.offset++;
      this.requireMore('inside a number');
      this.fail(`expected a digit after "-", found ${this.describeNext()}`);
    }
    this.offset += match[0].length;
    // A number cut short ("1." or "1e") leaves a digit-less tail that the pattern did not consume.
    const next = this.text[this.offset];
    if (next === '.' || next === 'e' || next === 'E') {
      this.offset++;
      this.requireMore('inside a number');
      this.fail(`expected a digit, found ${this.describeNext()}`);
    }
  }
}
