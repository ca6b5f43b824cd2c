#!/usr/bin/env node
// Installs what the test suite needs beyond npm packages: Debian's Chromium for the
// Playwright end-to-end tests. Playwright's own browser download cannot work offline,
// so the tests drive /usr/bin/chromium instead.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CHROMIUM_PATH = '/usr/bin/chromium';

function run(command, args) {
  execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return;

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`Chromium is missing at ${CHROMIUM_PATH}. Install it with: sudo apt-get install -y chromium`);
    process.exit(1);
  }
  console.log(`Installing Debian's chromium for the end-to-end tests (${CHROMIUM_PATH} is missing)...`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
}

ensureChromium();
