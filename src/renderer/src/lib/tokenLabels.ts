/**
 * Visible labels for tokens on chart axes and bars. A space, a newline or a
 * control character would draw as nothing, so each gets a printable stand-in.
 */

const STAND_INS: Record<string, string> = {
  ' ': '␣',
  '\n': '↵',
  '\r': '␍',
  '\t': '⇥',
};

/** Returns a printable label for a token: a stand-in glyph for whitespace, `U+XXXX` for a control character, else the token itself. */
export function tokenLabel(token: string): string {
  const standIn = STAND_INS[token];
  if (standIn !== undefined) return standIn;
  if (token === '') return '∅';

  const codePoint = token.codePointAt(0) ?? 0;
  const isControl = codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0);
  if ([...token].length === 1 && isControl) return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  return token;
}

