#!/usr/bin/env node
// Installs what the test suite needs beyond npm packages: Debian's Chromium for the
// Playwright end-to-end tests, and Debian's PyTorch and NumPy for the tests that run
// exported PyTorch files. Playwright's own browser download cannot work offline,
// so the tests drive /usr/bin/chromium instead. Each step does nothing when its
// package is already present.
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';

const CHROMIUM_PATH = '/usr/bin/chromium';
// The PyTorch export tests run this interpreter, because the python3 first on PATH may lack torch.
const SYSTEM_PYTHON = '/usr/bin/python3';
const PYTHON_PACKAGES = ['python3-torch', 'python3-numpy'];

function run(command, args) {
  execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return;

  if (!isRoot()) {
    console.error(`Chromium is missing at ${CHROMIUM_PATH}. Install it with: sudo apt-get install -y chromium`);
    process.exit(1);
  }
  console.log(`Installing Debian's chromium for the end-to-end tests (${CHROMIUM_PATH} is missing)...`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
}

function pythonHasTorch() {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
  return result.status === 0;
}

function ensurePythonTorch() {
  if (pythonHasTorch()) return;

  if (!isRoot()) {
    // Not fatal: the PyTorch export tests skip themselves with a message when torch is missing.
    console.warn(`${SYSTEM_PYTHON} cannot import torch and numpy. Install them with: sudo apt-get install -y ${PYTHON_PACKAGES.join(' ')}`);
    return;
  }
  console.log(`Installing Debian's ${PYTHON_PACKAGES.join(' and ')} for the PyTorch export tests...`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...PYTHON_PACKAGES]);
}

ensureChromium();
ensurePythonTorch();
