/**
 * The main-side logger: one line per message on stderr, with an ISO timestamp,
 * the level and the scope (`trainer`, `device 0`, `web`). The minimum level comes
 * from the TENSORLOOM_LOG environment variable (debug, info, warn, error; default
 * info) and can be changed at runtime with `setLogLevel`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVEL_ORDER, value);
}

function levelFromEnvironment(): LogLevel {
  const configured = process.env.TENSORLOOM_LOG?.trim().toLowerCase();
  if (configured === undefined || configured === '') return 'info';
  if (isLogLevel(configured)) return configured;
  process.stderr.write(
    `${new Date().toISOString()} warn  [log] Ignoring TENSORLOOM_LOG=${configured}: use debug, info, warn or error.\n`,
  );
  return 'info';
}

let minimumLevel: LogLevel = levelFromEnvironment();

/** The sink for log lines, stderr by default; tests replace it to capture output. */
let writeLine: (line: string) => void = (line) => {
  process.stderr.write(`${line}\n`);
};

export function setLogLevel(level: LogLevel): void {
  minimumLevel = level;
}

export function getLogLevel(): LogLevel {
  return minimumLevel;
}

/** Redirects log lines (for tests); returns a function that restores the previous sink. */
export function setLogSink(sink: (line: string) => void): () => void {
  const previous = writeLine;
  writeLine = sink;
  return () => {
    writeLine = previous;
  };
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Logs `message`, followed by the error's message (and stack at debug level) when one is given. */
  error(message: string, error?: unknown): void;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function createLogger(scope: string): Logger {
  const log = (level: LogLevel, message: string): void => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minimumLevel]) return;
    writeLine(`${new Date().toISOString()} ${level.padEnd(5)} [${scope}] ${message}`);
  };
  return {
    debug: (message) => log('debug', message),
    info: (message) => log('info', message),
    warn: (message) => log('warn', message),
    error: (message, error) => {
      if (error === undefined) {
        log('error', message);
        return;
      }
      log('error', `${message}: ${describeError(error)}`);
      if (error instanceof Error && error.stack !== undefined) log('debug', error.stack);
    },
  };
}
