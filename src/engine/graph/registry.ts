/**
 * The node-type registry and parameter resolution. Each node type registers once;
 * a second registration of the same type is a programming error and throws.
 */

import type { ParamValue, ProjectIssue } from '../../shared/project';
import type { NodeTypeSpec, ParamSpec } from './types';

export class NodeRegistry {
  private readonly specs = new Map<string, NodeTypeSpec>();

  register(spec: NodeTypeSpec): void {
    if (this.specs.has(spec.type)) {
      throw new Error(`Node type "${spec.type}" is already registered: give the new node type a different type name.`);
    }
    this.specs.set(spec.type, spec);
  }

  get(type: string): NodeTypeSpec | undefined {
    return this.specs.get(type);
  }

  has(type: string): boolean {
    return this.specs.has(type);
  }

  /** Returns every node type in registration order, which is the palette order. */
  list(): NodeTypeSpec[] {
    return [...this.specs.values()];
  }
}

export interface ResolvedParams {
  /** Every declared parameter: the given value where valid, otherwise the default. */
  params: Record<string, ParamValue>;
  /** One issue per invalid or unknown parameter. */
  issues: ProjectIssue[];
}

/**
 * Fills defaults into a node's parameters and checks each given value against its
 * spec: numbers must be finite and within bounds (integers for `int`), enums one of
 * their options, booleans booleans. An invalid value is reported and replaced by
 * the default. `path` is the JSON path of the params object, for the issues.
 */
export function resolveParams(
  spec: NodeTypeSpec,
  params: Readonly<Record<string, unknown>>,
  nodeId?: string,
  path?: string,
): ResolvedParams {
  const resolved: Record<string, ParamValue> = {};
  const issues: ProjectIssue[] = [];
  const nodeName = nodeId === undefined ? `${spec.type} node` : `${spec.type} node "${nodeId}"`;
  const report = (field: string, message: string): void => {
    issues.push({
      ...(path === undefined ? {} : { path: `${path}.${field}` }),
      ...(nodeId === undefined ? {} : { nodeId }),
      message: `${nodeName}, parameter ${field}: ${message}`,
    });
  };

  for (const param of spec.params) {
    const value = params[param.name];
    if (value === undefined) {
      resolved[param.name] = param.default;
      continue;
    }
    const problem = checkParamValue(param, value);
    if (problem === null) {
      resolved[param.name] = value as ParamValue;
    } else {
      report(param.name, problem);
      resolved[param.name] = param.default;
    }
  }

  const known = new Set(spec.params.map((param) => param.name));
  for (const name of Object.keys(params)) {
    if (known.has(name)) continue;
    const expected = known.size === 0 ? 'it takes no parameters' : `it takes ${[...known].join(', ')}`;
    report(name, `unknown parameter (${expected}). Remove it.`);
  }

  return { params: resolved, issues };
}

/** Returns why `value` is invalid for `param`, or null when it is valid. */
export function checkParamValue(param: ParamSpec, value: unknown): string | null {
  switch (param.kind) {
    case 'int':
    case 'float': {
      const range = `from ${param.min} to ${param.max}`;
      const expected = param.kind === 'int' ? `an integer ${range}` : `a number ${range}`;
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be ${expected}, got ${describeValue(value)}.`;
      if (param.kind === 'int' && !Number.isInteger(value)) return `must be ${expected}, got ${value}.`;
      if (value < param.min || value > param.max) return `must be ${expected}, got ${value}.`;
      return null;
    }
    case 'enum': {
      const options = param.options.map((option) => `"${option.value}"`).join(', ');
      if (typeof value !== 'string' || !param.options.some((option) => option.value === value)) {
        return `must be one of ${options}, got ${describeValue(value)}.`;
      }
      return null;
    }
    case 'bool':
      return typeof value === 'boolean' ? null : `must be true or false, got ${describeValue(value)}.`;
    case 'text':
      return typeof value === 'string' ? null : `must be a text, got ${describeValue(value)}.`;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
