// Keeps every test's app data (checkpoints, imported weights) out of the user's home
// folder: each test worker gets its own temporary data folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.TENSORLOOM_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'tensorloom-test-data-'));
