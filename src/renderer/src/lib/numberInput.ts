/**
 * Parsing of numbers typed into form fields, with messages that name the field,
 * the value typed and the allowed range. Shared by the inspector and the run panel.
 */

import type { ParamSpec } from '../../../engine/graph/types';
import type { ParamValue } from '../../../shared/project';

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

/** Parses a node parameter typed into the inspector; enum and bool values come from a select and a checkbox. */
export function parseParam(spec: ParamSpec, input: string | boolean): ParseResult<ParamValue> {
  switch (spec.kind) {
    case 'int':
    case 'float':
      return parseNumber({ label: spec.label, integer: spec.kind === 'int', min: spec.min, max: spec.max }, String(input));
    case 'enum': {
      const allowed = spec.options.map((option) => option.value);
      if (typeof input === 'string' && allowed.includes(input)) return { ok: true, value: input };
      return { ok: false, message: `${spec.label} must be one of ${allowed.join(', ')}, got "${String(input)}".` };
    }
    case 'bool':
      return { ok: true, value: Boolean(input) };
  }
}

/** Step attribute for a number input: 1 for integers, `any` for floats so no precision is rejected. */
export function stepFor(spec: ParamSpec): number | 'any' {
  if (spec.kind === 'int') return 1;
  return 'any';
}
