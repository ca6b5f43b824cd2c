/**
 * The `tensorloom` command line, built to out/main/cli.js and started by
 * bin/tensorloom.js. It runs saved projects headless through the app services,
 * with devices as Node child processes.
 */

import { createNodeLauncher, resolveDeviceEntry } from '../devices/nodeLauncher';
import { getLogLevel, setLogLevel } from '../log';
import { processOutput, type CliOutput } from './output';
import { runExport } from './export';
import { runCheckParallel } from './checkParallel';
import { runGenerate } from './generate';
import { runTrain } from './train';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, MAIN_HELP, UsageError } from './usage';
import { runValidate } from './validate';

const COMMANDS = ['train', 'export', 'generate', 'validate', 'check-parallel'];

export async function runCli(argv: string[], output: CliOutput): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new UsageError('No command given.');
    if (command === '--help' || command === '-h' || command === 'help') {
      output.stdout(MAIN_HELP);
      return EXIT_OK;
    }
    if (command.startsWith('-')) throw new UsageError(`Unknown option ${command}: put options after the command.`);
    switch (command) {
      case 'train':
        return await runTrain(rest, output, createNodeLauncher(resolveDeviceEntry(import.meta.url)));
      case 'export':
        return runExport(rest, output);
      case 'generate':
        return runGenerate(rest, output);
      case 'validate':
        return runValidate(rest, output);
      case 'check-parallel':
        return await runCheckParallel(rest, output, createNodeLauncher(resolveDeviceEntry(import.meta.url)));
      default:
        throw new UsageError(`Unknown command "${command}": use one of ${COMMANDS.join(', ')}.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.stderr(`Error: ${error.message}\nRun "${error.helpCommand}" for usage.\n`);
      return EXIT_USAGE;
    }
    output.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

// The CLI prints its own progress; the trainer's info lines would repeat it. The variable
// is set too, so device processes, which inherit the environment, stay as quiet.
if (process.env.TENSORLOOM_LOG === undefined && getLogLevel() === 'info') {
  setLogLevel('warn');
  process.env.TENSORLOOM_LOG = 'warn';
}

runCli(process.argv.slice(2), processOutput).then((exitCode) => {
  process.exitCode = exitCode;
});
