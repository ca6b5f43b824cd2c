import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExportFormat } from '../../shared/api';
import { EXPORT_FORMATS } from '../../shared/api';
import { writeFileAtomic } from '../files/atomicFile';
import { buildExportBytes, type ExportWeights } from '../export/build';
import { EXPORT_FORMAT_INFO, isExportFormat } from '../export/formats';
import { initialWeights } from '../export/weights';
import { loadCheckedWeights, weightsPathBeside } from '../export/weightsSource';
import { readProjectFile } from '../services/projectFiles';
import { parseCommandArgs } from './args';
import type { CliOutput } from './output';
import { EXIT_FAILURE, EXIT_OK, EXPORT_HELP, UsageError } from './usage';
import { reportIssues } from './validate';

interface ExportOptions {
  projectPath: string;
  format: ExportFormat;
  outPath: string;
  weightsPath: string | undefined;
}

function parseExportArgs(argv: string[]): ExportOptions | 'help' {
  const { values, positionals } = parseCommandArgs(
    'export',
    argv,
    {
      format: { type: 'string' },
      out: { type: 'string' },
      weights: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    parseArgs,
  );
  if (values.help === true) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'export needs a project file: tensorloom export <project.json> --format F --out PATH.' : `export takes one project file, got ${positionals.length}.`,
      'tensorloom export --help',
    );
  }

  const format = values.format;
  if (format === undefined) throw new UsageError(`export needs --format: use one of ${EXPORT_FORMATS.join(', ')}.`, 'tensorloom export --help');
  if (!isExportFormat(format)) {
    throw new UsageError(`Unknown format ${JSON.stringify(format)}: use one of ${EXPORT_FORMATS.join(', ')}.`, 'tensorloom export --help');
  }
  const outPath = values.out;
  if (typeof outPath !== 'string' || outPath === '') throw new UsageError('export needs --out PATH: the file to write.', 'tensorloom export --help');
  const weightsPath = values.weights;
  if (weightsPath === '') throw new UsageError('--weights needs a file path.', 'tensorloom export --help');

  return { projectPath: positionals[0], format, outPath, weightsPath: typeof weightsPath === 'string' ? weightsPath : undefined };
}

/** Exports a project file in one format; returns the exit status. */
export function runExport(argv: string[], output: CliOutput): number {
  const options = parseExportArgs(argv);
  if (options === 'help') {
    output.stdout(EXPORT_HELP);
    return EXIT_OK;
  }

  const { result } = readProjectFile(options.projectPath);
  if (!result.ok) {
    reportIssues(output, options.projectPath, result.issues, 'nothing was exported');
    return EXIT_FAILURE;
  }
  const project = result.project;
  const projectFolder = dirname(resolve(options.projectPath));
  const info = EXPORT_FORMAT_INFO[options.format];

  let weights: ExportWeights | null = null;
  if (info.needsWeights) {
    const weightsPath = options.weightsPath ?? weightsPathBeside(options.projectPath);
    if (options.weightsPath === undefined && !existsSync(weightsPath)) {
      output.stderr(
        `Error: no trained weights for ${options.projectPath}: ${weightsPath} does not exist. ` +
          `Train first (tensorloom train ${options.projectPath}), or pass --weights PATH with a safetensors file.\n`,
      );
      return EXIT_FAILURE;
    }
    const resolved = loadCheckedWeights(project, weightsPath, initialWeights(project, projectFolder));
    for (const warning of resolved.warnings) output.stderr(`warning: ${warning}\n`);
    weights = resolved;
  } else if (options.weightsPath !== undefined) {
    output.stderr(`warning: --weights is ignored, because the ${options.format} export contains no weights.\n`);
  }

  const bytes = buildExportBytes(options.format, project, weights, projectFolder);
  writeFileAtomic(options.outPath, bytes);
  output.stdout(`Wrote ${options.outPath} (${bytes.byteLength} bytes, ${options.format})\n`);
  return EXIT_OK;
}
