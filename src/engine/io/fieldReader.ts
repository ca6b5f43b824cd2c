/**
 * Field-by-field reading of untrusted JSON. Each reader records one issue naming
 * the JSON path and the value it got, and returns undefined, so one pass lists
 * every problem in the file instead of stopping at the first.
 */

import type { ProjectIssue } from '../../shared/project';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes a JSON value for a message: `0`, `"fast"`, `a list`, `an object`, `null`. */
export function describeJsonValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  /** Values must be greater than this. */
  above?: number;
  /** Values must be less than this. */
  below?: number;
  max?: number;
  /** The rule in words for the message, such as `a positive integer`. */
  expected: string;
}

export class FieldReader {
  readonly issues: ProjectIssue[] = [];
  readonly warnings: ProjectIssue[] = [];

  report(path: string, problem: string): void {
    this.issues.push({ path, message: `${path}: ${problem}` });
  }

  object(value: unknown, path: string): JsonObject | undefined {
    if (value === undefined) return this.missing(path, 'an object');
    if (isJsonObject(value)) return value;
    this.report(path, `must be an object, got ${describeJsonValue(value)}.`);
    return undefined;
  }

  list(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined) return this.missing(path, 'a list');
    if (Array.isArray(value)) return value;
    this.report(path, `must be a list, got ${describeJsonValue(value)}.`);
    return undefined;
  }

  /** Reads a non-empty string. */
  text(value: unknown, path: string): string | undefined {
    if (value === undefined) return this.missing(path, 'a non-empty text');
    if (typeof value === 'string' && value.length > 0) return value;
    this.report(path, `must be a non-empty text, got ${describeJsonValue(value)}.`);
    return undefined;
  }

  number(value: unknown, path: string, rule: NumberRule): number | undefined {
    if (value === undefined) return this.missing(path, rule.expected);
    const valid =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (rule.integer !== true || Number.isInteger(value)) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.max === undefined || value <= rule.max) &&
      (rule.above === undefined || value > rule.above) &&
      (rule.below === undefined || value < rule.below);
    if (valid) return value;
    this.report(path, `must be ${rule.expected}, got ${describeJsonValue(value)}.`);
    return undefined;
  }

  choice<T extends string>(value: unknown, path: string, options: readonly T[]): T | undefined {
    const expected = `one of ${options.map((option) => JSON.stringify(option)).join(', ')}`;
    if (value === undefined) return this.missing(path, expected);
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    this.report(path, `must be ${expected}, got ${describeJsonValue(value)}.`);
    return undefined;
  }

  /** Warns about each field of `object` not in `known`, because loading drops such fields. */
  warnUnknownFields(object: JsonObject, path: string, known: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue;
      const fieldPath = path === '' ? key : `${path}.${key}`;
      this.warnings.push({ path: fieldPath, message: `${fieldPath}: unknown field, ignored. It will be dropped when the project is saved.` });
    }
  }

  private missing(path: string, expected: string): undefined {
    this.report(path, `missing. It must be ${expected}.`);
    return undefined;
  }
}
