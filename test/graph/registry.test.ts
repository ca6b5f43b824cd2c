import { describe, expect, it } from 'vitest';
import { NodeRegistry, resolveParams } from '../../src/engine/graph/registry';
import { createDefaultRegistry, defaultRegistry } from '../../src/engine/graph/nodes/index';
import { denseNode } from '../../src/engine/graph/nodes/dense';

describe('NodeRegistry', () => {
  it('rejects a duplicate type', () => {
    const registry = new NodeRegistry();
    registry.register(denseNode);
    expect(() => registry.register(denseNode)).toThrow('Node type "Dense" is already registered');
  });

  it('looks up registered types', () => {
    expect(defaultRegistry.get('Dense')).toBe(denseNode);
    expect(defaultRegistry.has('Dense')).toBe(true);
    expect(defaultRegistry.has('Conv2d')).toBe(false);
    expect(defaultRegistry.get('Conv2d')).toBeUndefined();
  });

  it('lists the built-in types in palette order', () => {
    expect(defaultRegistry.list().map((spec) => spec.type)).toEqual([
      'Input',
      'TokenInput',
      'Dense',
      'Embedding',
      'PositionalEncoding',
      'AttentionHead',
      'MultiHeadAttention',
      'Concat',
      'TransformerBlock',
      'LayerNorm',
      'RMSNorm',
      'ResidualAdd',
      'FeedForward',
      'Dropout',
      'Unembedding',
      'ReLU',
      'Sigmoid',
      'Tanh',
      'GELU',
      'Softmax',
      'SoftmaxTemperature',
      'Loss',
      'DeviceMesh',
      'TensorParallelGroup',
    ]);
  });

  it('builds independent default registries', () => {
    expect(createDefaultRegistry()).not.toBe(defaultRegistry);
  });
});

describe('built-in node specs', () => {
  for (const spec of defaultRegistry.list()) {
    it(`${spec.type} has a description, port labels and parameter help`, () => {
      expect(spec.description.length).toBeGreaterThan(100);
      for (const port of [...spec.inputs, ...spec.outputs]) expect(port.label).not.toBe('');
      for (const param of spec.params) expect(param.help).not.toBe('');
    });

    it(`${spec.type} has valid parameter defaults`, () => {
      expect(resolveParams(spec, {}).issues).toEqual([]);
      for (const param of spec.params) {
        expect(resolveParams(spec, { [param.name]: param.default }).issues).toEqual([]);
      }
    });
  }

  it('Loss description explains the Softmax shortcut', () => {
    expect(defaultRegistry.get('Loss')!.description).toMatch(/Softmax node, it takes the scores entering that Softmax/);
  });
});

describe('resolveParams', () => {
  it('fills defaults', () => {
    expect(resolveParams(denseNode, {}).params).toEqual({ units: 64, bias: true, init: 'he' });
  });

  it('keeps valid values', () => {
    expect(resolveParams(denseNode, { units: 10, bias: false, init: 'xavier' }).params).toEqual({ units: 10, bias: false, init: 'xavier' });
  });

  it('reports units out of bounds with node and field', () => {
    const { issues, params } = resolveParams(denseNode, { units: 0 }, 'fc1', 'graph.nodes[1].params');
    expect(issues).toEqual([
      {
        path: 'graph.nodes[1].params.units',
        nodeId: 'fc1',
        message: 'Dense node "fc1", parameter units: must be an integer from 1 to 4096, got 0.',
      },
    ]);
    expect(params.units).toBe(64);
  });

  it('reports units above the maximum', () => {
    expect(resolveParams(denseNode, { units: 5000 }, 'fc1').issues[0].message).toContain('got 5000');
  });

  it('reports a fractional integer parameter', () => {
    expect(resolveParams(denseNode, { units: 2.5 }, 'fc1').issues[0].message).toContain('must be an integer from 1 to 4096, got 2.5');
  });

  it('reports a non-numeric value', () => {
    expect(resolveParams(denseNode, { units: 'many' }, 'fc1').issues[0].message).toContain('got "many"');
  });

  it('reports NaN as non-numeric', () => {
    expect(resolveParams(denseNode, { units: Number.NaN }, 'fc1').issues[0].message).toContain('got NaN');
  });

  it('reports an unknown enum option', () => {
    expect(resolveParams(denseNode, { init: 'orthogonal' }, 'fc1').issues[0].message).toBe(
      'Dense node "fc1", parameter init: must be one of "he", "xavier", got "orthogonal".',
    );
  });

  it('reports a non-boolean flag', () => {
    expect(resolveParams(denseNode, { bias: 'yes' }, 'fc1').issues[0].message).toContain('must be true or false, got "yes"');
  });

  it('reports an unknown parameter', () => {
    const { issues } = resolveParams(denseNode, { dropout: 0.5 }, 'fc1', 'graph.nodes[1].params');
    expect(issues[0].path).toBe('graph.nodes[1].params.dropout');
    expect(issues[0].message).toBe('Dense node "fc1", parameter dropout: unknown parameter (it takes units, bias, init). Remove it.');
  });

  it('reports each invalid parameter', () => {
    expect(resolveParams(denseNode, { units: -1, bias: 1, extra: true }, 'fc1').issues).toHaveLength(3);
  });

  it('names the node type without an id', () => {
    expect(resolveParams(denseNode, { units: 0 }).issues[0].message).toMatch(/^Dense node, parameter units/);
  });
});
