/**
 * Atomic file writes for projects, checkpoints, exports and uploaded texts. The bytes
 * go to a temporary file in the target's folder, are flushed with fsync, and the
 * temporary file is then renamed over the target. Rename within one folder replaces
 * the file in one step, so a failed or interrupted write leaves either the old file
 * or the new one, never a mix.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createLogger, describeError } from '../log';

const log = createLogger('files');

/** The write step of `writeFileAtomic`; tests swap in one that fails part way through. */
export interface ByteWriter {
  write(fd: number, bytes: Uint8Array): void;
}

const nodeByteWriter: ByteWriter = {
  write(fd, bytes) {
    let writtenBytes = 0;
    while (writtenBytes < bytes.byteLength) {
      writtenBytes += writeSync(fd, bytes, writtenBytes, bytes.byteLength - writtenBytes);
    }
  },
};

/** Returns the hidden temporary name beside `path` that an atomic write first writes to. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** A failed atomic write; `reason` is the cause in plain words, for callers that phrase their own message. */
export class AtomicWriteError extends Error {
  readonly reason: string;

  constructor(path: string, reason: string, cause: unknown) {
    super(`Cannot write ${path}: ${reason}. Nothing was written there; check that the folder exists and is writable.`, { cause });
    this.name = 'AtomicWriteError';
    this.reason = reason;
  }
}

/**
 * Writes `bytes` to `path` atomically. Throws an AtomicWriteError naming the file and
 * the reason when the folder is missing or not writable or the write fails. The old
 * file, if any, is then unchanged, and the temporary file is removed.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, writer: ByteWriter = nodeByteWriter): void {
  const temporaryPath = temporaryPathFor(path);
  let fd: number | null = null;
  try {
    fd = openSync(temporaryPath, 'wx', 0o644);
    writer.write(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporaryPath, path);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    removeQuietly(temporaryPath);
    throw new AtomicWriteError(path, describeWriteError(error), error);
  }
  syncFolder(dirname(path));
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EROFS') return 'the file system is read-only';
  return describeError(error);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch (error) {
    log.warn(`closing a temporary file failed: ${describeError(error)}`);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`removing temporary file ${path} failed: ${describeError(error)}`);
  }
}

// The rename is durable only once the folder entry is flushed too. Windows cannot open a
// folder for fsync, which is harmless there because the file itself was synced.
function syncFolder(folder: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch (error) {
    log.debug(`fsync of folder ${folder} skipped: ${describeError(error)}`);
  } finally {
    if (fd !== null) closeQuietly(fd);
  }
}
