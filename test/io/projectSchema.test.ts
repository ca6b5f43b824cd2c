import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEmptyProject, parseProject, serializeProject } from '../../src/engine/io/project';
import type { EditableProject } from './editableProject';
import { checkAgainstSchema } from './schemaCheck';

const schema = JSON.parse(readFileSync(new URL('../../resources/schema/project.schema.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const examplesFolder = new URL('../../resources/examples/', import.meta.url);
const exampleNames = readdirSync(examplesFolder).filter((name) => name.endsWith('.json'));

function example(name: string): EditableProject {
  return JSON.parse(readFileSync(new URL(name, examplesFolder), 'utf8')) as EditableProject;
}

describe('project schema', () => {
  it('declares JSON Schema draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  for (const name of exampleNames) {
    it(`accepts the example ${name}`, () => {
      expect(checkAgainstSchema(example(name), schema)).toEqual([]);
    });
  }

  it('accepts a new empty project', () => {
    expect(checkAgainstSchema(JSON.parse(serializeProject(createEmptyProject())), schema)).toEqual([]);
  });
});

/** Edits that break a field rule: the schema and parseProject must both reject each one. */
const invalidEdits: Array<{ name: string; edit: (document: EditableProject) => void }> = [
  { name: 'a wrong format', edit: (d) => (d.format = 'other') },
  { name: 'a newer version', edit: (d) => (d.version = 2) },
  { name: 'a missing name', edit: (d) => delete d.name },
  { name: 'a zero batch size', edit: (d) => (d.training.batchSize = 0) },
  { name: 'a fractional batch size', edit: (d) => (d.training.batchSize = 1.5) },
  { name: 'a text learning rate', edit: (d) => (d.training.learningRate = '0.1') },
  { name: 'a zero learning rate', edit: (d) => (d.training.learningRate = 0) },
  { name: 'a momentum of 1', edit: (d) => (d.training.momentum = 1) },
  { name: 'an unknown optimizer', edit: (d) => (d.training.optimizer = 'lion') },
  { name: 'a negative seed', edit: (d) => (d.training.seed = -3) },
  { name: 'a seed above 32 bits', edit: (d) => (d.training.seed = 2 ** 32) },
  { name: 'zero epochs', edit: (d) => (d.training.epochs = 0) },
  { name: 'an unknown dataset', edit: (d) => (d.dataset.id = 'imagenet') },
  { name: 'a negative test limit', edit: (d) => (d.dataset.testLimit = -1) },
  { name: 'a node with an empty id', edit: (d) => (d.graph.nodes[0].id = '') },
  { name: 'a node without a position', edit: (d) => Reflect.deleteProperty(d.graph.nodes[0], 'position') },
  { name: 'a list parameter', edit: (d) => (d.graph.nodes[1].params.units = [128]) },
  { name: 'an edge without a source', edit: (d) => delete d.graph.edges[0].source },
  { name: 'nodes that are not a list', edit: (d) => ((d.graph as Record<string, unknown>).nodes = 'input') },
];

describe.each(invalidEdits)('schema and parseProject both reject $name', ({ edit }) => {
  const document = example('mnist-mlp.json');
  edit(document);

  it('in the schema', () => {
    expect(checkAgainstSchema(document, schema)).not.toEqual([]);
  });

  it('in parseProject', () => {
    expect(parseProject(JSON.stringify(document), 'edited.json').ok).toBe(false);
  });
});
