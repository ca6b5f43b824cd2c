/**
 * Web mode: `node out/main/web.js [--port N]` serves the built renderer and the
 * app services on 127.0.0.1 for any browser, with devices as Node child processes.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNodeLauncher, resolveDeviceEntry } from '../devices/nodeLauncher';
import { createLogger, describeError } from '../log';
import { createServices } from '../services/services';
import { startWebServer } from './server';

const log = createLogger('web');

const USAGE = `Usage: node out/main/web.js [--port N]

Serves Tensorloom in a browser at http://127.0.0.1:N/ with a per-start token.

Options:
  --port N   TCP port on 127.0.0.1 to listen on; 0 (the default) picks a free port.
  --help     Show this help.
`;

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid --port ${JSON.stringify(value)}: use a whole number from 0 to 65535 (0 picks a free port).`);
  }
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const port = parsePort(values.port);

  // Built, this file is out/main/web.js beside out/renderer; run from source under tsx, it
  // is src/main/web/index.ts and still serves the built renderer, never the source.
  const fromSource = import.meta.url.endsWith('.ts');
  const rendererRoot = fileURLToPath(new URL(fromSource ? '../../../out/renderer/' : '../renderer/', import.meta.url));
  if (!existsSync(`${rendererRoot}index.html`)) {
    throw new Error(`The built renderer is missing (${rendererRoot}index.html). Run \`npm run build\` first.`);
  }

  const launcher = createNodeLauncher(resolveDeviceEntry(import.meta.url));
  const services = createServices({ launcher, dialogHost: null });
  const server = await startWebServer({ services, rendererRoot, port });
  process.stdout.write(`Tensorloom web mode: ${server.url}\n`);

  let shuttingDown = false;
  const shutDown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info(`${signal} received, shutting down`);
    void (async () => {
      try {
        const status = await services.getRunStatus();
        if (status.state !== 'idle') await services.stopRun();
      } catch (error) {
        log.warn(`stopping the run on shutdown failed: ${describeError(error)}`);
      }
      services.dispose();
      await server.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutDown('SIGINT'));
  process.on('SIGTERM', () => shutDown('SIGTERM'));
}

main().catch((error: unknown) => {
  log.error('web mode failed to start', error);
  process.stderr.write(`Error: ${describeError(error)}\n${USAGE}`);
  process.exit(1);
});
