/**
 * Parsing of numbers typed into form fields, with messages that name the field,
 * the value typed and the allowed range. Shared by the inspector and the run panel.
 */

export interface NumberRule {
  label: string;
  integer: boolean;
  min: number;
  max: number;
  /** When true, `min` itself is not allowed (a learning rate must be above 0). */
  minExclusive?: boolean;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

function describeRange(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.minExclusive) return `${kind} above ${rule.min} and at most ${rule.max}`;
  return `${kind} from ${rule.min} to ${rule.max}`;
}

export function parseNumber(rule: NumberRule, text: string): ParseResult<number> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: `${rule.label} is empty: enter ${describeRange(rule)}.` };

  const value = Number(trimmed);
  if (!Number.isFinite(value)) {
    return { ok: false, message: `${rule.label} must be ${describeRange(rule)}, got "${trimmed}".` };
  }
  if (rule.integer && !Number.isInteger(value)) {
    return { ok: false, message: `${rule.label} must be ${describeRange(rule)}, got ${trimmed} (not an integer).` };
  }
  const belowMin = rule.minExclusive ? value <= rule.min : value < rule.min;
  if (belowMin || value > rule.max) {
    return { ok: false, message: `${rule.label} must be ${describeRange(rule)}, got ${trimmed}.` };
  }
  return { ok: true, value };
}
