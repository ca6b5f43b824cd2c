/**
 * Forward migration of project files. Each step turns a document of version N
 * into version N + 1; loading applies the steps in order up to PROJECT_VERSION.
 * Version 1 is the first format, so there are no steps yet. A version 2 adds
 * `MIGRATIONS[1]` and raises PROJECT_VERSION.
 */

import { PROJECT_VERSION } from '../../shared/project';
import type { JsonObject } from './fieldReader';

export type MigrationStep = (document: JsonObject) => JsonObject;

/** Steps by the version they migrate from. */
const MIGRATIONS: Readonly<Record<number, MigrationStep>> = {};

/**
 * Migrates a parsed project document to `targetVersion` (PROJECT_VERSION unless a
 * test passes its own steps). The caller checks first that `version` is an integer
 * from 1 to the target; this throws otherwise, or when a step is missing. The input
 * is not modified.
 */
export function migrateProject(
  raw: JsonObject,
  steps: Readonly<Record<number, MigrationStep>> = MIGRATIONS,
  targetVersion: number = PROJECT_VERSION,
): JsonObject {
  const from = raw.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1 || from > targetVersion) {
    throw new Error(`Cannot migrate a project of version ${String(from)}: versions 1 to ${targetVersion} are supported.`);
  }

  // The document came from JSON.parse, so a JSON round trip copies it exactly.
  let document = JSON.parse(JSON.stringify(raw)) as JsonObject;
  for (let version = from; version < targetVersion; version++) {
    const step = steps[version];
    if (step === undefined) throw new Error(`No migration from project version ${version} to ${version + 1}.`);
    document = { ...step(document), version: version + 1 };
  }
  return document;
}
