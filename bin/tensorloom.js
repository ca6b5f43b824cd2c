#!/usr/bin/env node
// Starts the Tensorloom command line from the built tree (out/main/cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliPath = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));

if (!existsSync(cliPath)) {
  console.error(`tensorloom: the command line is not built (${cliPath} is missing). Run "npm run build" in the Tensorloom folder first.`);
  process.exit(1);
}

await import(pathToFileURL(cliPath).href);
