import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParallelCheckResult, ParallelCollectiveKind } from '../../shared/api';
import type { DeviceLauncher } from '../devices/launcher';
import { readProjectFile } from '../services/projectFiles';
import { validateRunProject } from '../services/runValidation';
import { createServices } from '../services/services';
import { RunValidationError } from '../trainer/trainer';
import { parseCommandArgs, parseIntegerFlag } from './args';
import type { CliOutput } from './output';
import { CHECK_PARALLEL_HELP, EXIT_FAILURE, EXIT_OK, UsageError } from './usage';
import { reportIssues } from './validate';

const DEFAULT_TOLERANCE = 1e-5;
const KINDS: readonly ParallelCollectiveKind[] = ['all-reduce', 'all-gather', 'reduce-scatter', 'broadcast'];

interface CheckOptions {
  path: string;
  steps: number;
  tolerance: number;
  devices: number | undefined;
  json: boolean;
}

function parseCheckArgs(argv: string[]): CheckOptions | 'help' {
  const help = 'tensorloom check-parallel --help';
  const { values, positionals } = parseCommandArgs(
    'check-parallel',
    argv,
    { steps: { type: 'string' }, tolerance: { type: 'string' }, devices: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    parseArgs,
  );
  if (values.help === true) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'check-parallel needs a project file: tensorloom check-parallel <project.json> --steps K.' : `check-parallel takes one project file, got ${positionals.length}.`, help);
  }
  if (values.steps === undefined) throw new UsageError('check-parallel needs --steps K, the number of steps to compare (1 to 1000).', help);
  const steps = parseIntegerFlag('check-parallel', '--steps', String(values.steps), 1);
  if (steps > 1000) throw new UsageError(`Invalid --steps ${steps}: use 1 to 1000 steps.`, help);
  let tolerance = DEFAULT_TOLERANCE;
  if (values.tolerance !== undefined) {
    tolerance = Number(values.tolerance);
    if (String(values.tolerance).trim() === '' || !Number.isFinite(tolerance) || tolerance < 0) {
      throw new UsageError(`Invalid --tolerance ${JSON.stringify(values.tolerance)}: use a non-negative number such as 1e-5.`, help);
    }
  }
  return {
    path: positionals[0],
    steps,
    tolerance,
    devices: values.devices === undefined ? undefined : parseIntegerFlag('check-parallel', '--devices', String(values.devices), 1),
    json: values.json === true,
  };
}

/** Checks a project's plan against one device; resolves with 0 within the tolerance, 1 above it or on failure. */
export async function runCheckParallel(argv: string[], output: CliOutput, launcher: DeviceLauncher): Promise<number> {
  const options = parseCheckArgs(argv);
  if (options === 'help') {
    output.stdout(CHECK_PARALLEL_HELP);
    return EXIT_OK;
  }
  const { result } = readProjectFile(options.path);
  const issues = result.ok ? validateRunProject(result.project) : result.issues;
  if (!result.ok || issues.length > 0) {
    reportIssues(output, options.path, issues, 'the check did not start');
    return EXIT_FAILURE;
  }

  const services = createServices({ launcher, dialogHost: null, projectFolder: dirname(resolve(options.path)) });
  try {
    const check = await services.checkParallel(result.project, { steps: options.steps, ...(options.devices === undefined ? {} : { deviceCount: options.devices }) });
    const passed = check.maxLossRelative <= options.tolerance && check.maxParameterRelative <= options.tolerance;
    if (options.json) output.stdout(`${JSON.stringify({ ...check, tolerance: options.tolerance, passed })}\n`);
    else output.stdout(formatCheck(check, options.tolerance, passed));
    return passed ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    if (error instanceof RunValidationError) {
      reportIssues(output, options.path, error.issues, 'the check did not start');
    } else {
      output.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return EXIT_FAILURE;
  } finally {
    services.dispose();
  }
}

/** Formats the differences, the worst parameters and the collectives of the first step. */
export function formatCheck(check: ParallelCheckResult, tolerance: number, passed: boolean): string {
  const { plan } = check;
  const lines: string[] = [];
  lines.push(
    `Plan: data ${plan.dataParallel} × tensor ${plan.tensorParallel}${plan.sequenceParallel ? ', sequence parallel' : ''} on ${check.devicePids.length} device processes (pids ${check.devicePids.join(', ')})`,
  );
  const sharded = Object.entries(plan.sharding).map(([layer, kind]) => `${layer} ${kind}`);
  if (sharded.length > 0) lines.push(`Sharding: ${sharded.join(', ')}`);
  lines.push(`Steps: ${check.steps}, ${(check.durationMs / 1000).toFixed(1)} s`);
  lines.push(`Loss: max absolute difference ${check.maxLossAbsolute.toExponential(2)}, max relative ${check.maxLossRelative.toExponential(2)} (last loss ${check.planLosses[check.planLosses.length - 1].toFixed(6)})`);
  lines.push(`Parameters: max absolute difference ${check.maxParameterAbsolute.toExponential(2)}, max relative ${check.maxParameterRelative.toExponential(2)} over ${check.parameters.length} tensors`);
  const worst = [...check.parameters].sort((a, b) => b.relative - a.relative).slice(0, 3);
  for (const parameter of worst) lines.push(`  ${parameter.name}: absolute ${parameter.maxAbsolute.toExponential(2)}, relative ${parameter.relative.toExponential(2)}`);
  lines.push('Collectives per step (device: kind calls, bytes sent):');
  for (const report of check.stepReports[0] ?? []) {
    const used = KINDS.filter((kind) => report.collectives[kind].calls > 0).map((kind) => `${kind} ${report.collectives[kind].calls} calls ${report.collectives[kind].bytesSent} B`);
    lines.push(`  device ${report.deviceIndex} (data ${report.dataIndex}, tensor ${report.tensorIndex}): ${used.length === 0 ? 'none' : used.join('; ')}`);
  }
  lines.push(passed ? `PASS: every relative difference is within ${tolerance}` : `FAIL: a relative difference is above ${tolerance}`);
  return `${lines.join('\n')}\n`;
}
