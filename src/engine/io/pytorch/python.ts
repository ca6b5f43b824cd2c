/**
 * Python source helpers for the PyTorch exporter: string literals that no input
 * can break out of, identifiers derived from node ids, and number literals.
 */

/** Python 3 keywords and soft keywords, which cannot serve as plain names. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type',
]);

const ASCII_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Returns a double-quoted Python string literal whose value is `text`. Everything
 * outside printable ASCII, and the quote and backslash, is written as an escape,
 * so the literal always stays on one line and ends where it should, whatever
 * quotes, newlines or code the text contains.
 */
export function pythonString(text: string): string {
  let body = '';
  for (const char of text) {
    const point = char.codePointAt(0)!;
    if (char === '\\') body += '\\\\';
    else if (char === '"') body += '\\"';
    else if (char === '\n') body += '\\n';
    else if (char === '\r') body += '\\r';
    else if (char === '\t') body += '\\t';
    else if (point >= 0x20 && point < 0x7f) body += char;
    else if (point <= 0xff) body += `\\x${point.toString(16).padStart(2, '0')}`;
    // A lone surrogate lands here too and becomes the same lone surrogate in Python.
    else if (point <= 0xffff) body += `\\u${point.toString(16).padStart(4, '0')}`;
    else body += `\\U${point.toString(16).padStart(8, '0')}`;
  }
  return `"${body}"`;
}

/**
 * Returns the text of `value` for use inside a Python comment or docstring line.
 * It is the body of the string literal without the outer quotes, so a newline
 * or a run of quotes in the value cannot end the comment or docstring early.
 */
export function pythonCommentText(value: string): string {
  return pythonString(value).slice(1, -1);
}

/** True when `name` is an ASCII Python identifier that is not a keyword. */
export function isPlainIdentifier(name: string): boolean {
  return ASCII_IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name);
}

/**
 * Turns any text into an ASCII Python identifier: each run of characters
 * outside [A-Za-z0-9_] becomes one `_`, a leading digit or an empty result gets `prefix`,
 * and a keyword gets a trailing `_`.
 */
export function toIdentifier(text: string, prefix: string): string {
  let name = text.replace(/[^A-Za-z0-9_]+/g, '_');
  if (name === '' || /^[0-9]/.test(name)) name = `${prefix}${name}`;
  if (PYTHON_KEYWORDS.has(name)) name = `${name}_`;
  return name;
}

/** Hands out unique identifiers, never one of the reserved names or one given out before. */
export class NameAllocator {
  private readonly used: Set<string>;

  constructor(reserved: Iterable<string>) {
    this.used = new Set(reserved);
  }

  /** Returns `toIdentifier(text)`, with `_2`, `_3` … appended until it is unused, and marks it used. */
  allocate(text: string, prefix: string): string {
    const base = toIdentifier(text, prefix);
    let name = base;
    for (let suffix = 2; this.used.has(name) || PYTHON_KEYWORDS.has(name); suffix++) name = `${base}_${suffix}`;
    this.used.add(name);
    return name;
  }

}

/**
 * Returns a Python float literal that reads back as the same double: integers
 * get a `.0`, and other values use the shortest round-trip form that
 * JavaScript prints, which Python parses to the same number.
 */
export function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Cannot write ${value} as a Python float literal: use a finite number.`);
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** Returns a Python int literal, rejecting anything that is not a safe integer. */
export function pythonInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`Cannot write ${value} as a Python int literal: use an integer.`);
  return String(value);
}

export function pythonBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/** Indents every non-empty line of `lines` by `levels` × 4 spaces. */
export function indent(lines: readonly string[], levels: number): string[] {
  const prefix = ' '.repeat(4 * levels);
  return lines.map((line) => (line === '' ? '' : `${prefix}${line}`));
}
