/**
 * Checkpoint paths of runs. The command line writes beside the project file
 * (`mnist.json` → `mnist.safetensors`). The desktop app and web mode write to a
 * per-user data folder, because their project may not be a file.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ProjectFile } from '../../shared/project';

/** Environment variable that replaces the per-user data folder `~/.tensorloom`, for tests and portable installs. */
export const DATA_FOLDER_ENV = 'TENSORLOOM_DATA_DIR';

/** Returns the per-user data folder: `$TENSORLOOM_DATA_DIR`, by default `~/.tensorloom`. */
export function dataFolder(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[DATA_FOLDER_ENV];
  return configured !== undefined && configured !== '' ? configured : join(homedir(), '.tensorloom');
}

/** Returns the folder of app and web-mode checkpoints: `<data folder>/checkpoints`. */
export function checkpointFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataFolder(env), 'checkpoints');
}

/** Returns the app and web-mode checkpoint path of a project, named after the project with unsafe characters replaced. */
export function checkpointPathFor(project: ProjectFile, env: NodeJS.ProcessEnv = process.env): string {
  const name = typeof project.name === 'string' ? project.name.trim() : '';
  const safe = name.replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return join(checkpointFolder(env), `${safe === '' ? 'project' : safe}.safetensors`);
}

/** Returns the command line's checkpoint path beside a project file: the same path with `.safetensors` in place of `.json`. */
export function checkpointPathBeside(projectPath: string): string {
  return projectPath.replace(/\.json$/i, '') + '.safetensors';
}
