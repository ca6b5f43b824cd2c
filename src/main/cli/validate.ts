import { parseArgs } from 'node:util';
import type { ProjectIssue } from '../../shared/project';
import { readProjectFile } from '../services/projectFiles';
import { validateRunProject } from '../services/runValidation';
import type { CliOutput } from './output';
import { EXIT_FAILURE, EXIT_OK, UsageError, VALIDATE_HELP } from './usage';
import { parseCommandArgs } from './args';

/** Formats an issue as `<field path> (node <id>, port <name>): <message>`, leaving out what is unknown. */
export function formatIssueLine(issue: ProjectIssue): string {
  const location: string[] = [];
  if (issue.nodeId !== undefined) location.push(`node ${issue.nodeId}`);
  if (issue.port !== undefined) location.push(`port ${issue.port}`);
  // Field messages often start with their own path already; it is not repeated.
  const path = issue.path !== undefined && !issue.message.startsWith(issue.path) ? issue.path : undefined;
  const where = [path, location.length > 0 ? `(${location.join(', ')})` : undefined].filter((part) => part !== undefined);
  return where.length === 0 ? issue.message : `${where.join(' ')}: ${issue.message}`;
}

/**
 * Prints `<location>: N issues, so <consequence>` and one line per issue on stderr.
 * Without a consequence the header ends after the count.
 */
export function reportIssues(output: CliOutput, location: string, issues: readonly ProjectIssue[], consequence?: string): void {
  const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
  output.stderr(`${location}: ${count}${consequence === undefined ? '' : `, so ${consequence}`}\n`);
  for (const issue of issues) output.stderr(`  ${formatIssueLine(issue)}\n`);
}

export function runValidate(argv: string[], output: CliOutput): number {
  const { values, positionals } = parseCommandArgs('validate', argv, { help: { type: 'boolean', short: 'h' } }, parseArgs);
  if (values.help === true) {
    output.stdout(VALIDATE_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'validate needs a project file: tensorloom validate <project.json>.' : `validate takes one project file, got ${positionals.length}.`,
      'tensorloom validate --help',
    );
  }

  const path = positionals[0];
  const { result } = readProjectFile(path);
  const issues = result.ok ? validateRunProject(result.project) : result.issues;
  if (result.ok) {
    // Graph issues also come back as parse warnings; print them once, as issues.
    const issueMessages = new Set(issues.map((issue) => issue.message));
    for (const warning of result.warnings) {
      if (!issueMessages.has(warning.message)) output.stderr(`warning: ${formatIssueLine(warning)}\n`);
    }
  }

  if (issues.length === 0) {
    output.stdout('valid\n');
    return EXIT_OK;
  }
  reportIssues(output, path, issues);
  return EXIT_FAILURE;
}
