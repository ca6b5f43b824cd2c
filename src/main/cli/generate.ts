import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GenerationRequest } from '../../shared/api';
import { datasetShapes, isTextDataset } from '../../engine/data/catalog';
import { compileGraph } from '../../engine/graph/compile';
import { Rng } from '../../engine/tensor/random';
import { checkpointTokenizer, loadParameters, parameterMismatches, readCheckpoint } from '../device/checkpoint';
import { Generation, MAX_GENERATED_TOKENS, MAX_TEMPERATURE } from '../device/generation';
import { readProjectFile } from '../services/projectFiles';
import { checkpointPathBeside } from '../trainer/checkpointPaths';
import { parseCommandArgs, parseIntegerFlag } from './args';
import type { CliOutput } from './output';
import { EXIT_FAILURE, EXIT_OK, GENERATE_HELP, UsageError } from './usage';
import { reportIssues } from './validate';

interface GenerateOptions {
  path: string;
  weights: string;
  request: GenerationRequest;
}

function parseGenerateArgs(argv: string[]): GenerateOptions | 'help' {
  const { values, positionals } = parseCommandArgs(
    'generate',
    argv,
    {
      prompt: { type: 'string' },
      temperature: { type: 'string' },
      tokens: { type: 'string' },
      'top-k': { type: 'string' },
      seed: { type: 'string' },
      weights: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    parseArgs,
  );
  if (values.help === true) return 'help';

  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'generate needs a project file: tensorloom generate <project.json> --prompt TEXT.' : `generate takes one project file, got ${positionals.length}.`,
      'tensorloom generate --help',
    );
  }
  if (typeof values.prompt !== 'string' || values.prompt === '') {
    throw new UsageError('generate needs a non-empty --prompt TEXT to continue from.', 'tensorloom generate --help');
  }

  const temperature = values.temperature === undefined ? 0.8 : Number(String(values.temperature).trim());
  if (String(values.temperature ?? '0.8').trim() === '' || !Number.isFinite(temperature) || temperature < 0 || temperature > MAX_TEMPERATURE) {
    throw new UsageError(`Invalid --temperature ${JSON.stringify(values.temperature)}: use a number from 0 (greedy) to ${MAX_TEMPERATURE}.`, 'tensorloom generate --help');
  }

  const maxTokens = values.tokens === undefined ? 200 : parseIntegerFlag('generate', '--tokens', String(values.tokens), 1);
  if (maxTokens > MAX_GENERATED_TOKENS) {
    throw new UsageError(`Invalid --tokens ${maxTokens}: generate at most ${MAX_GENERATED_TOKENS} tokens at once.`, 'tensorloom generate --help');
  }

  const request: GenerationRequest = {
    prompt: values.prompt,
    temperature,
    maxTokens,
    seed: values.seed === undefined ? 0 : parseIntegerFlag('generate', '--seed', String(values.seed), 0),
  };
  if (values['top-k'] !== undefined) request.topK = parseIntegerFlag('generate', '--top-k', String(values['top-k']), 1);

  const path = positionals[0];
  const weights = typeof values.weights === 'string' && values.weights !== '' ? values.weights : checkpointPathBeside(path);
  return { path, weights: resolve(weights), request };
}

/**
 * Prints the prompt and its continuation from a checkpoint. The model runs in this
 * process: generation is one short forward pass per token, with no training to isolate.
 */
export function runGenerate(argv: string[], output: CliOutput): number {
  const options = parseGenerateArgs(argv);
  if (options === 'help') {
    output.stdout(GENERATE_HELP);
    return EXIT_OK;
  }

  const { result } = readProjectFile(options.path);
  if (!result.ok) {
    reportIssues(output, options.path, result.issues, 'nothing was generated');
    return EXIT_FAILURE;
  }
  const project = result.project;
  if (!isTextDataset(project.dataset.id)) {
    output.stderr(`Error: ${options.path} trains a classifier on ${project.dataset.id}; only a language model (a text dataset with a Token input) generates text.\n`);
    return EXIT_FAILURE;
  }

  const checkpoint = readCheckpoint(options.weights);
  const tokenizer = checkpointTokenizer(checkpoint);
  if (tokenizer === null) {
    output.stderr(`Error: ${options.weights} records no tokenizer, so it was not written by a language model run. Train the project with "tensorloom train" first.\n`);
    return EXIT_FAILURE;
  }
  const model = compileGraph(project.graph, datasetShapes(project.dataset.id, tokenizer.vocabularySize), new Rng(project.training.seed).fork());
  const mismatches = parameterMismatches(model.parameters, checkpoint.tensors);
  if (mismatches.length > 0) {
    output.stderr(`Error: ${options.weights} does not fit the graph of ${options.path}:\n`);
    for (const line of mismatches) output.stderr(`  ${line}\n`);
    output.stderr('Train the project again to write a matching checkpoint, or pass the right one with --weights.\n');
    return EXIT_FAILURE;
  }
  loadParameters(model.parameters, checkpoint.tensors);

  const generation = new Generation((context) => model.nextTokenLogits(context), tokenizer, options.request);
  while (!generation.finished) generation.next();
  output.stdout(`${options.request.prompt}${generation.generatedText()}\n`);
  return EXIT_OK;
}
