// `npm start`: opens the desktop app when an Electron binary is installed,
// otherwise builds and starts web mode. It checks node_modules/electron/path.txt,
// which the electron package writes after downloading its binary, instead of
// loading the electron module.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const electronInstalled = existsSync(fileURLToPath(new URL('../node_modules/electron/path.txt', import.meta.url)));
const electronVite = fileURLToPath(new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url));

/** Runs a command in the project folder, forwarding its output; resolves with its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(`Could not run ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 1);
    });
  });
}

let exitCode;
if (electronInstalled) {
  exitCode = await run(process.execPath, [electronVite, 'preview']);
} else {
  console.log(
    'The Electron binary is not installed, so Tensorloom starts in web mode instead (open the URL printed below). ' +
      'To get the desktop app, run `npm run install-electron` on a machine with internet access, then `npm start`.',
  );
  exitCode = await run(process.execPath, [electronVite, 'build']);
  if (exitCode === 0) exitCode = await run(process.execPath, [fileURLToPath(new URL('../out/main/web.js', import.meta.url)), ...process.argv.slice(2)]);
}
process.exit(exitCode);
