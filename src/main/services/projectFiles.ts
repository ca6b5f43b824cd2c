/**
 * Reading and writing project files on disk. Saving is atomic. The text goes to a
 * temporary file in the same folder, is flushed with fsync, and is then renamed
 * over the target. A crash or a failed write so leaves the old file or the new one.
 */

import { readFileSync } from 'node:fs';
import type { OpenedProject } from '../../shared/api';
import type { ProjectFile } from '../../shared/project';
import { parseProject, serializeProject } from '../../engine/io/project';
import { AtomicWriteError, writeFileAtomic, type ByteWriter } from '../files/atomicFile';
import { createLogger, describeError } from '../log';

const log = createLogger('files');

/** Writes `project` to `path` atomically. Throws naming the file when serializing or writing fails. */
export function saveProjectFile(path: string, project: ProjectFile, writer?: ByteWriter): void {
  let text: string;
  try {
    text = serializeProject(project);
  } catch (error) {
    throw new Error(`Cannot save ${path}: the project could not be serialized (${describeError(error)}). The file was not changed.`, {
      cause: error,
    });
  }

  try {
    writeFileAtomic(path, new TextEncoder().encode(text), writer);
  } catch (error) {
    const reason = error instanceof AtomicWriteError ? error.reason : describeError(error);
    throw new Error(`Cannot save ${path}: ${reason}. The file was not changed; check that the folder exists and is writable.`, { cause: error });
  }
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
