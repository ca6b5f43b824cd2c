/**
 * Detection of object keys repeated inside one JSON object. `JSON.parse` keeps
 * the last value of a repeated key without a word, so two readers of the same
 * file can disagree on what it contains. Formats that forbid duplicates
 * (safetensors headers among them) scan the text with this first.
 */

export interface DuplicateJsonKey {
  key: string;
  /** Keys and array indices of the enclosing containers, outermost first. Empty at the top level. */
  path: Array<string | number>;
}

interface ObjectFrame {
  kind: 'object';
  keys: Set<string>;
  expectingKey: boolean;
  lastKey: string;
}

interface ArrayFrame {
  kind: 'array';
  index: number;
}

type Frame = ObjectFrame | ArrayFrame;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Finds the first key that appears twice in the same object, or returns null.
 * The text must already have passed `JSON.parse`: the scan trusts its syntax
 * and only tracks strings, brackets, commas and colons.
 */
export function findDuplicateJsonKey(text: string): DuplicateJsonKey | null {
  const stack: Frame[] = [];
  let i = 0;

  while (i < text.length) {
    const code = text.charCodeAt(i);
    const top = stack.length > 0 ? stack[stack.length - 1] : null;

    if (code === QUOTE) {
      const end = findStringEnd(text, i);
      if (top !== null && top.kind === 'object' && top.expectingKey) {
        const key = decodeJsonString(text, i, end);
        if (top.keys.has(key)) return { key, path: pathOf(stack) };
        top.keys.add(key);
        top.lastKey = key;
        top.expectingKey = false;
      }
      i = end + 1;
      continue;
    }

    switch (text[i]) {
      case '{':
        stack.push({ kind: 'object', keys: new Set(), expectingKey: true, lastKey: '' });
        break;
      case '[':
        stack.push({ kind: 'array', index: 0 });
        break;
      case '}':
      case ']':
        stack.pop();
        break;
      case ',':
        if (top?.kind === 'object') top.expectingKey = true;
        else if (top?.kind === 'array') top.index += 1;
        break;
    }
    i += 1;
  }
  return null;
}

/** Returns the index of the quote that closes the string opening at `start`. */
function findStringEnd(text: string, start: number): number {
  let j = start + 1;
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === BACKSLASH) {
      j += 2;
      continue;
    }
    if (code === QUOTE) return j;
    j += 1;
  }
  return text.length;
}

/** Decodes the string literal spanning `start..end` (quotes included), resolving escapes so `"a"` and `"\u0061"` compare equal. */
function decodeJsonString(text: string, start: number, end: number): string {
  const inner = text.slice(start + 1, end);
  return inner.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : inner;
}

function pathOf(stack: readonly Frame[]): Array<string | number> {
  // The innermost frame is the object holding the duplicate, so it adds nothing to the path.
  return stack.slice(0, -1).map((frame) => (frame.kind === 'object' ? frame.lastKey : frame.index));
}
