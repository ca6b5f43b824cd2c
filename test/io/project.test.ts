import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEmptyProject, migrateProject, parseProject, serializeProject } from '../../src/engine/io/project';
import type { ProjectFile, ProjectIssue } from '../../src/shared/project';
import type { ParseProjectResult } from '../../src/shared/api';
import type { EditableProject } from './editableProject';

const examplesFolder = new URL('../../resources/examples/', import.meta.url);
const exampleNames = readdirSync(examplesFolder).filter((name) => name.endsWith('.json'));

function readExampleText(name: string): string {
  return readFileSync(new URL(name, examplesFolder), 'utf8');
}

function validDocument(): EditableProject {
  return JSON.parse(readExampleText('mnist-mlp.json')) as EditableProject;
}

/** Parses `document` after `edit` changed it, and returns the issues of the failed parse. */
function issuesAfter(edit: (document: EditableProject) => void): ProjectIssue[] {
  const document = validDocument();
  edit(document);
  const result = parseProject(JSON.stringify(document), 'edited.json');
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues;
}

/** Returns the project of a successful parse, failing the test with the issues otherwise. */
function parsedProject(result: ParseProjectResult): ProjectFile {
  if (!result.ok) throw new Error(`expected a successful parse, got: ${result.issues.map((issue) => issue.message).join('; ')}`);
  return result.project;
}

function onlyIssue(result: ParseProjectResult): ProjectIssue {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('expected a failed parse');
  expect(result.issues).toHaveLength(1);
  return result.issues[0];
}

describe('parseProject on the examples', () => {
  it('finds the bundled examples', () => {
    expect(exampleNames).toEqual(expect.arrayContaining(['mnist-mlp.json', 'xor-mlp.json']));
  });

  for (const name of exampleNames) {
    it(`opens ${name} without issues or warnings`, () => {
      const result = parseProject(readExampleText(name), name);
      expect(result).toMatchObject({ ok: true, warnings: [] });
    });

    it(`writes ${name} back byte for byte`, () => {
      const result = parseProject(readExampleText(name), name);
      if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('\n'));
      expect(serializeProject(result.project)).toBe(readExampleText(name));
    });
  }

  it('reads the MNIST example as the 784-128-64-10 network', () => {
    const result = parseProject(readExampleText('mnist-mlp.json'), 'mnist-mlp.json');
    if (!result.ok) throw new Error('the MNIST example must parse');
    const { project } = result;
    expect(project.graph.nodes.map((node) => node.id)).toEqual(['input', 'fc1', 'relu1', 'fc2', 'relu2', 'fc3', 'loss']);
    expect(project.graph.nodes.filter((node) => node.type === 'Dense').map((node) => node.params.units)).toEqual([128, 64, 10]);
    expect(project.training).toEqual({ epochs: 5, batchSize: 64, learningRate: 0.001, optimizer: 'adam', momentum: 0.9, seed: 42 });
    expect(project.dataset).toEqual({ id: 'mnist' });
  });

  it('lays the MNIST example out left to right', () => {
    const result = parseProject(readExampleText('mnist-mlp.json'), 'mnist-mlp.json');
    if (!result.ok) throw new Error('the MNIST example must parse');
    const xs = result.project.graph.nodes.map((node) => node.position.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(xs.length);
  });
});

describe('parseProject reports', () => {
  it('invalid JSON with its line and column', () => {
    const text = '{\n  "format": "tensorloom-project",\n  "version": 1,,\n}';
    expect(onlyIssue(parseProject(text, 'broken.json')).message).toBe(
      'broken.json is not valid JSON at line 3, column 16: expected a property name in double quotes, found ",". Fix the file in a text editor or restore a saved copy.',
    );
  });

  it('a truncated file', () => {
    const text = readExampleText('mnist-mlp.json');
    const cut = text.slice(0, Math.floor(text.length / 2));
    const issue = onlyIssue(parseProject(cut, 'cut.json'));
    expect(issue.message).toMatch(/^cut\.json is incomplete: the text ends inside .* \(line \d+, column \d+\)\. The file looks truncated/);
  });

  it('an empty file', () => {
    expect(onlyIssue(parseProject('  \n', 'empty.json')).message).toBe(
      'empty.json is empty. It contains no project. Open a project saved by Tensorloom.',
    );
  });

  it('a document that is not an object', () => {
    expect(onlyIssue(parseProject('[1, 2]', 'list.json')).message).toBe(
      'list.json is not a Tensorloom project: it contains a list instead of an object.',
    );
  });

  it('a wrong format', () => {
    const issue = issuesAfter((document) => {
      document.format = 'netron';
    })[0];
    expect(issue.path).toBe('format');
    expect(issue.message).toBe('edited.json is not a Tensorloom project: its format is "netron", expected "tensorloom-project".');
  });

  it('a missing format', () => {
    const issue = issuesAfter((document) => {
      delete document.format;
    })[0];
    expect(issue.message).toContain('it has no "format" field');
  });

  it('a newer version and says to update', () => {
    const issue = issuesAfter((document) => {
      document.version = 2;
    })[0];
    expect(issue.path).toBe('version');
    expect(issue.message).toBe(
      'edited.json was saved by a newer Tensorloom (project version 2, but this one reads up to version 1). Update Tensorloom to open it.',
    );
  });

  it('a version that is not a positive integer', () => {
    const issue = issuesAfter((document) => {
      document.version = '1';
    })[0];
    expect(issue.message).toBe('version: must be a positive integer, got "1".');
  });

  it('a batch size of zero with its path', () => {
    const issue = issuesAfter((document) => {
      document.training.batchSize = 0;
    })[0];
    expect(issue.path).toBe('training.batchSize');
    expect(issue.message).toBe('training.batchSize: must be a positive integer, got 0.');
  });

  it('a negative batch size', () => {
    const issue = issuesAfter((document) => {
      document.training.batchSize = -32;
    })[0];
    expect(issue.message).toBe('training.batchSize: must be a positive integer, got -32.');
  });

  it('a non-numeric learning rate', () => {
    const issue = issuesAfter((document) => {
      document.training.learningRate = 'fast';
    })[0];
    expect(issue.message).toBe('training.learningRate: must be a positive number, got "fast".');
  });

  it('a zero learning rate', () => {
    const issue = issuesAfter((document) => {
      document.training.learningRate = 0;
    })[0];
    expect(issue.path).toBe('training.learningRate');
  });

  it('a fractional epoch count', () => {
    const issue = issuesAfter((document) => {
      document.training.epochs = 2.5;
    })[0];
    expect(issue.message).toBe('training.epochs: must be a positive integer, got 2.5.');
  });

  it('a momentum of 1', () => {
    const issue = issuesAfter((document) => {
      document.training.momentum = 1;
    })[0];
    expect(issue.message).toBe('training.momentum: must be a number from 0 up to but not including 1, got 1.');
  });

  it('an unknown optimizer', () => {
    const issue = issuesAfter((document) => {
      document.training.optimizer = 'rmsprop';
    })[0];
    expect(issue.message).toBe('training.optimizer: must be one of "sgd", "adam", "adamw", got "rmsprop".');
  });

  it('a negative seed', () => {
    const issue = issuesAfter((document) => {
      document.training.seed = -1;
    })[0];
    expect(issue.message).toBe('training.seed: must be an integer from 0 to 4294967295, got -1.');
  });

  it('a missing training section', () => {
    const issue = issuesAfter((document) => {
      Reflect.deleteProperty(document, 'training');
    })[0];
    expect(issue.message).toBe('training: missing. It must be an object.');
  });

  it('a missing training field', () => {
    const issue = issuesAfter((document) => {
      delete document.training.seed;
    })[0];
    expect(issue.message).toBe('training.seed: missing. It must be an integer from 0 to 4294967295.');
  });

  it('an unknown dataset id', () => {
    const issue = issuesAfter((document) => {
      document.dataset.id = 'cifar10';
    })[0];
    expect(issue.path).toBe('dataset.id');
    expect(issue.message).toBe('dataset.id: unknown dataset "cifar10". Use one of mnist, xor, circles, spirals, brown, text-file.');
  });

  it('a negative train limit', () => {
    const issue = issuesAfter((document) => {
      document.dataset.trainLimit = -5;
    })[0];
    expect(issue.message).toBe('dataset.trainLimit: must be a non-negative integer (0 for all samples), got -5.');
  });

  it('a node without an id', () => {
    const issue = issuesAfter((document) => {
      delete document.graph.nodes[2].id;
    })[0];
    expect(issue.message).toBe('graph.nodes[2].id: missing. It must be a non-empty text.');
  });

  it('a node position that is not a number', () => {
    const issue = issuesAfter((document) => {
      document.graph.nodes[1].position.x = '220px';
    })[0];
    expect(issue.message).toBe('graph.nodes[1].position.x: must be a finite number, got "220px".');
  });

  it('a parameter that is an object', () => {
    const issue = issuesAfter((document) => {
      document.graph.nodes[1].params.units = { value: 128 };
    })[0];
    expect(issue.message).toBe('graph.nodes[1].params.units: must be a number, a text or true/false, got an object.');
  });

  it('an edge without a target port', () => {
    const issue = issuesAfter((document) => {
      delete document.graph.edges[0].targetPort;
    })[0];
    expect(issue.message).toBe('graph.edges[0].targetPort: missing. It must be a non-empty text.');
  });

  it('edges that are not a list', () => {
    const issue = issuesAfter((document) => {
      (document.graph as Record<string, unknown>).edges = {};
    })[0];
    expect(issue.message).toBe('graph.edges: must be a list, got an object.');
  });

  it('every field problem at once', () => {
    const issues = issuesAfter((document) => {
      document.training.batchSize = 0;
      document.training.learningRate = 'x';
      document.dataset.id = 'nope';
      document.name = 7;
    });
    expect(issues.map((issue) => issue.path)).toEqual(['name', 'dataset.id', 'training.batchSize', 'training.learningRate']);
  });
});

describe('parseProject warnings', () => {
  function warningsAfter(edit: (document: EditableProject) => void): ProjectIssue[] {
    const document = validDocument();
    edit(document);
    const result = parseProject(JSON.stringify(document), 'edited.json');
    if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('\n'));
    return result.warnings;
  }

  it('include graph issues with their node', () => {
    const [warning] = warningsAfter((document) => {
      document.graph.nodes[5].params.units = 7;
    });
    expect(warning.nodeId).toBe('loss');
    expect(warning.port).toBe('prediction');
    expect(warning.message).toContain('receives [B, 7] but the dataset has 10 classes');
  });

  it('include an invalid node parameter with its path', () => {
    const [warning] = warningsAfter((document) => {
      document.graph.nodes[1].params.units = 0;
    });
    expect(warning.path).toBe('graph.nodes[1].params.units');
    expect(warning.nodeId).toBe('fc1');
  });

  it('include an unconnected port', () => {
    const warnings = warningsAfter((document) => {
      document.graph.edges.pop();
    });
    expect(warnings.map((warning) => [warning.nodeId, warning.port])).toEqual([['loss', 'target']]);
  });

  it('name an unknown field', () => {
    const [warning] = warningsAfter((document) => {
      document.training.warmupEpochs = 100;
    });
    expect(warning.message).toBe('training.warmupEpochs: unknown field, ignored. It will be dropped when the project is saved.');
  });
});

describe('parseProject leniency', () => {
  it('accepts a byte order mark', () => {
    expect(parseProject(`\uFEFF${readExampleText('xor-mlp.json')}`, 'bom.json').ok).toBe(true);
  });

  it('accepts a node without params', () => {
    const document = validDocument() as { graph: { nodes: Array<Record<string, unknown>> } };
    delete document.graph.nodes[2].params;
    const project = parsedProject(parseProject(JSON.stringify(document), 'no-params.json'));
    expect(project.graph.nodes[2].params).toEqual({});
  });

  it('keeps dataset limits', () => {
    const document = validDocument() as { dataset: Record<string, unknown> };
    document.dataset.trainLimit = 1000;
    const project = parsedProject(parseProject(JSON.stringify(document), 'limits.json'));
    expect(project.dataset).toEqual({ id: 'mnist', trainLimit: 1000 });
  });
});

describe('serializeProject', () => {
  const project = createEmptyProject('Sketch');

  it('ends with a newline', () => {
    expect(serializeProject(project).endsWith('}\n')).toBe(true);
  });

  it('does not depend on key order', () => {
    const shuffled = {
      training: { ...project.training },
      graph: project.graph,
      dataset: project.dataset,
      name: project.name,
      version: project.version,
      format: project.format,
    } as ProjectFile;
    expect(serializeProject(shuffled)).toBe(serializeProject(project));
  });

  it('sorts node parameters by name', () => {
    const text = serializeProject({
      ...project,
      graph: { nodes: [{ id: 'fc1', type: 'Dense', position: { x: 0, y: 0 }, params: { units: 3, bias: false } }], edges: [] },
    });
    expect(text.indexOf('"bias"')).toBeLessThan(text.indexOf('"units"'));
  });

  it('leaves out fields outside the schema', () => {
    const extended = { ...project, selection: ['fc1'] } as ProjectFile;
    expect(serializeProject(extended)).not.toContain('selection');
  });

  it('rejects a NaN with its path', () => {
    const broken = { ...project, training: { ...project.training, learningRate: Number.NaN } };
    expect(() => serializeProject(broken)).toThrow('Cannot write the project: training.learningRate is NaN. Set it to a finite number first.');
  });

  it('round-trips through parseProject', () => {
    expect(parsedProject(parseProject(serializeProject(project), 'sketch.json'))).toEqual(project);
  });
});

describe('createEmptyProject', () => {
  it('has an empty graph and default training', () => {
    const project = createEmptyProject();
    expect(project.name).toBe('Untitled');
    expect(project.graph).toEqual({ nodes: [], edges: [] });
    expect(project.training.batchSize).toBe(64);
  });

  it('parses with warnings that ask for an Input and a Loss', () => {
    const result = parseProject(serializeProject(createEmptyProject()), 'new.json');
    if (!result.ok) throw new Error('an empty project must parse');
    expect(result.warnings.map((warning) => warning.message)).toEqual([
      'The graph has no Input node. Add one from the palette and connect its features to the first layer.',
      'The graph has no Loss node. Add one from the palette and connect the last layer and the labels to it.',
    ]);
  });
});

describe('migrateProject', () => {
  it('leaves a current project unchanged', () => {
    const document = validDocument();
    expect(migrateProject(document)).toEqual(document);
  });

  it('does not modify its input', () => {
    const document = validDocument();
    const migrated = migrateProject(document);
    (migrated.graph as { nodes: unknown[] }).nodes.pop();
    expect((document.graph as { nodes: unknown[] }).nodes).toHaveLength(7);
  });

  it('applies each step up to the target version', () => {
    const steps = {
      1: (document: Record<string, unknown>) => ({ ...document, parallel: { devices: 1 } }),
      2: (document: Record<string, unknown>) => ({ ...document, name: `${String(document.name)} (v3)` }),
    };
    const migrated = migrateProject(validDocument(), steps, 3);
    expect(migrated.version).toBe(3);
    expect(migrated.parallel).toEqual({ devices: 1 });
    expect(migrated.name).toBe('MNIST MLP 784-128-64-10 (v3)');
  });

  it('rejects a missing step', () => {
    expect(() => migrateProject(validDocument(), {}, 2)).toThrow('No migration from project version 1 to 2.');
  });

  it('rejects a version newer than the target', () => {
    expect(() => migrateProject({ ...validDocument(), version: 5 })).toThrow(
      'Cannot migrate a project of version 5: versions 1 to 1 are supported.',
    );
  });
});
