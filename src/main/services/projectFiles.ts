/**
 * Reading and writing project files on disk. Saving is atomic. The text goes to a
 * temporary file in the same folder, is flushed with fsync, and is then renamed
 * over the target. A crash or a failed write so leaves the old file or the new one.
 */

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { OpenedProject } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { parseProject, serializeProject } from '../../engine/io/project';
import { createLogger, describeError } from '../log';

const log = createLogger('files');

/** File operations `saveProjectFile` uses; tests swap in failing ones to check the guarantees. */
export interface SaveFileSystem {
  writeText(fd: number, text: string): void;
}

const nodeFileSystem: SaveFileSystem = {
  writeText(fd, text) {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  },
};

/** Writes `project` to `path` atomically. Throws naming the file when serializing or writing fails. */
export function saveProjectFile(path: string, project: ProjectFile, fileSystem: SaveFileSystem = nodeFileSystem): void {
  let text: string;
  try {
    text = serializeProject(project);
  } catch (error) {
    throw new Error(`Cannot save ${path}: the project could not be serialized (${describeError(error)}). The file was not changed.`, {
      cause: error,
    });
  }

  const temporaryPath = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temporaryPath, 'wx', 0o644);
    fileSystem.writeText(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporaryPath, path);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    removeQuietly(temporaryPath);
    throw new Error(`Cannot save ${path}: ${describeError(error)}. The file was not changed; check that the folder exists and is writable.`, {
      cause: error,
    });
  }

  syncFolder(dirname(path));
  log.info(`saved project "${project.name}" to ${path}`);
}

/** Reads and validates the project at `path`; a missing or unreadable file throws naming it. */
export function readProjectFile(path: string): OpenedProject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a folder' : describeError(error);
    throw new Error(`Cannot open project ${path}: ${reason}. Check the path and try again.`, { cause: error });
  }
  return { location: path, result: parseProject(text, path) };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch (error) {
    log.warn(`closing a temporary project file failed: ${describeError(error)}`);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`removing temporary file ${path} failed: ${describeError(error)}`);
  }
}

// The rename is durable only once the folder entry is flushed too. Some platforms
// (Windows) cannot open a folder for fsync, which is harmless: the file itself is synced.
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
