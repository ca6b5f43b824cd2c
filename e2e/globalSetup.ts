/**
 * Starts the built app in web mode for the whole end-to-end run and shares its
 * tokenised URL with the tests through TENSORLOOM_E2E_URL. Returns the teardown
 * that stops the server.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const WEB_ENTRY = resolve('out/main/web.js');
const STARTUP_TIMEOUT_MS = 30_000;
const URL_PATTERN = /Tensorloom web mode: (http:\/\/127\.0\.0\.1:\d+\/\S*)/;
/** Environment variable that moves web mode's data folder (checkpoints) away from `~/.tensorloom`. */
const DATA_FOLDER_ENV = 'TENSORLOOM_DATA_DIR';

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(WEB_ENTRY)) {
    throw new Error(`${WEB_ENTRY} is missing: run \`npm run build\` before \`npx playwright test\`.`);
  }

  // Runs and weight imports write checkpoints; a temporary data folder keeps them out of the user's home.
  const dataFolder = await mkdtemp(join(tmpdir(), 'tensorloom-e2e-data-'));
  const server = spawn(process.execPath, [WEB_ENTRY, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TENSORLOOM_LOG: process.env.TENSORLOOM_LOG ?? 'warn', [DATA_FOLDER_ENV]: dataFolder },
  });
  server.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[web] ${chunk.toString()}`));

  const url = await new Promise<string>((resolveUrl, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`web mode printed no URL within ${STARTUP_TIMEOUT_MS} ms; output so far: ${output}`));
    }, STARTUP_TIMEOUT_MS);
    server.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = URL_PATTERN.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolveUrl(match[1]);
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited with code ${code} before printing its URL; output: ${output}`));
    });
  });
  process.env.TENSORLOOM_E2E_URL = url;

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolveExit) => server.once('exit', resolveExit));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataFolder, { recursive: true, force: true });
  };
}
