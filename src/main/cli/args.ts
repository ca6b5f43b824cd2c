import type { parseArgs as ParseArgs, ParseArgsConfig } from 'node:util';
import { UsageError } from './usage';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments strictly, turning unknown flags and missing values into usage errors. */
export function parseCommandArgs<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  parseArgs: typeof ParseArgs,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command}: ${message}`, `tensorloom ${command} --help`);
  }
}

/** Parses a whole number flag value, or throws a usage error naming the flag and the value. */
export function parseIntegerFlag(command: string, flag: string, value: string, min: number): number {
  const trimmed = value.trim();
  const parsed = Number(trimmed);
  if (trimmed === '' || !Number.isSafeInteger(parsed) || parsed < min) {
    const range = min >= 0 ? `${min} or more` : 'any integer';
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: use a whole number, ${range}.`, `tensorloom ${command} --help`);
  }
  return parsed;
}

/** Returns a path flag's value, or throws a usage error when it is empty. */
export function parseCheckpointFlag(command: string, value: string): string {
  if (value.trim() === '') throw new UsageError('Invalid --checkpoint "": give the path of a .safetensors file.', `tensorloom ${command} --help`);
  return value;
}
