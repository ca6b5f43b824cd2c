import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProject, serializeProject } from '../../src/engine/io/project';
import type { ProjectFile, ProjectIssue } from '../../src/shared/project';
import type { EditableProject } from './editableProject';

function exampleDocument(): EditableProject {
  return JSON.parse(readFileSync(new URL('../../resources/examples/char-transformer.json', import.meta.url), 'utf8')) as EditableProject;
}

/** Parses the character transformer example after `edit` and returns the issues of the failed parse. */
function issuesAfter(edit: (document: EditableProject) => void): ProjectIssue[] {
  const document = exampleDocument();
  edit(document);
  const result = parseProject(JSON.stringify(document), 'edited.json');
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues;
}

function parsed(document: EditableProject): ProjectFile {
  const result = parseProject(JSON.stringify(document), 'text.json');
  if (!result.ok) throw new Error(`expected a successful parse, got: ${result.issues.map((issue) => issue.message).join('; ')}`);
  return result.project;
}

describe('text project files', () => {
  it('loads the character transformer example without warnings', () => {
    const result = parseProject(JSON.stringify(exampleDocument()), 'char-transformer.json');
    expect(result.ok).toBe(true);
    expect(result.ok ? result.warnings : []).toEqual([]);
  });

  it('reads the text and training fields', () => {
    const project = parsed(exampleDocument());
    expect(project.dataset).toEqual({ id: 'brown', tokenizer: 'char', validationFraction: 0.1 });
    expect(project.training.optimizer).toBe('adamw');
    expect(project.training.schedule).toBe('warmup-cosine');
    expect(project.training.gradientClipNorm).toBe(1);
    expect(project.training.stepsPerEpoch).toBe(100);
  });

  it('keeps every field through a save', () => {
    const project = parsed(exampleDocument());
    const again = parseProject(serializeProject(project), 'saved.json');
    expect(again.ok && again.project).toEqual(project);
  });

  it('requires a path for a text file', () => {
    const [issue] = issuesAfter((document) => {
      document.dataset = { id: 'text-file' };
    });
    expect(issue.path).toBe('dataset.path');
    expect(issue.message).toContain('dataset.path: missing. The text-file dataset needs the path of a UTF-8 text file');
  });

  it('rejects an empty path', () => {
    const [issue] = issuesAfter((document) => {
      document.dataset = { id: 'text-file', path: '' };
    });
    expect(issue.message).toBe('dataset.path: must be a non-empty text, got "".');
  });

  it('rejects an unknown tokenizer', () => {
    const [issue] = issuesAfter((document) => {
      document.dataset.tokenizer = 'bpe';
    });
    expect(issue.message).toBe('dataset.tokenizer: must be one of "char", "byte", got "bpe".');
  });

  it('rejects a validation fraction above one half', () => {
    const [issue] = issuesAfter((document) => {
      document.dataset.validationFraction = 0.8;
    });
    expect(issue.message).toBe('dataset.validationFraction: must be a number above 0 and at most 0.5, got 0.8.');
  });

  it('rejects invalid optional training fields', () => {
    const cases: Array<[string, unknown, string]> = [
      ['weightDecay', -0.1, 'training.weightDecay: must be a number from 0 up to but not including 1, got -0.1.'],
      ['gradientClipNorm', 0, 'training.gradientClipNorm: must be a positive number, got 0.'],
      ['warmupSteps', 2.5, 'training.warmupSteps: must be a non-negative integer, got 2.5.'],
      ['stepsPerEpoch', 0, 'training.stepsPerEpoch: must be a positive integer, got 0.'],
      ['checkpointEveryEpochs', 'often', 'training.checkpointEveryEpochs: must be a positive integer, got "often".'],
      ['schedule', 'linear', 'training.schedule: must be one of "constant", "warmup-cosine", got "linear".'],
    ];
    for (const [field, value, message] of cases) {
      const [issue] = issuesAfter((document) => {
        document.training[field] = value;
      });
      expect(issue.message).toBe(message);
    }
  });

  it('warns about warmup steps without the warmup schedule', () => {
    const document = exampleDocument();
    document.training.schedule = 'constant';
    const result = parseProject(JSON.stringify(document), 'text.json');
    expect(result.ok && result.warnings.map((warning) => warning.path)).toEqual(['training.warmupSteps']);
  });

  it('loads an old file without the new fields', () => {
    const document = JSON.parse(readFileSync(new URL('../../resources/examples/xor-mlp.json', import.meta.url), 'utf8')) as EditableProject;
    const project = parsed(document);
    expect(project.training.schedule).toBeUndefined();
    expect(serializeProject(project)).toBe(readFileSync(new URL('../../resources/examples/xor-mlp.json', import.meta.url), 'utf8'));
  });
});
