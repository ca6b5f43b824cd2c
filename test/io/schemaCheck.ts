/**
 * A small JSON Schema checker for the keywords resources/schema/project.schema.json
 * uses, so tests can hold the examples to the published schema without a new
 * dependency. It throws on any other keyword, so the schema cannot quietly use one
 * that this checker would ignore.
 */

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description']);
const KEYWORDS = new Set([
  '$ref',
  '$defs',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
]);

/** Returns one message per violation, each starting with the JSON path of the value. */
export function checkAgainstSchema(value: unknown, root: Schema): string[] {
  const errors: string[] = [];
  visit(value, root, root, '$', errors);
  return errors;
}

function visit(value: unknown, schema: Schema, root: Schema, path: string, errors: string[]): void {
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword) && !ANNOTATIONS.has(keyword)) throw new Error(`schemaCheck does not support the keyword ${keyword} (at ${path}).`);
  }

  if (typeof schema.$ref === 'string') {
    const prefix = '#/$defs/';
    if (!schema.$ref.startsWith(prefix)) throw new Error(`schemaCheck supports only local $defs references, got ${schema.$ref}.`);
    const target = (root.$defs as Record<string, Schema>)[schema.$ref.slice(prefix.length)];
    if (target === undefined) throw new Error(`Unresolved $ref ${schema.$ref}.`);
    visit(value, target, root, path, errors);
  }

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => hasType(value, type))) {
      errors.push(`${path}: expected ${types.join(' or ')}, got ${JSON.stringify(value)}`);
      return;
    }
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) {
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(`${path}: expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`);
  }

  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} is below the minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} is above the maximum ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
      errors.push(`${path}: ${value} must be above ${schema.exclusiveMinimum}`);
    }
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
      errors.push(`${path}: ${value} must be below ${schema.exclusiveMaximum}`);
    }
  }
  if (typeof value === 'string' && typeof schema.minLength === 'number' && value.length < schema.minLength) {
    errors.push(`${path}: shorter than ${schema.minLength} characters`);
  }

  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => visit(item, schema.items as Schema, root, `${path}[${index}]`, errors));
  }

  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in object)) errors.push(`${path}: missing required property ${key}`);
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      const itemPath = `${path}.${key}`;
      if (key in properties) visit(item, properties[key], root, itemPath, errors);
      else if (schema.additionalProperties === false) errors.push(`${itemPath}: property not allowed`);
      else if (typeof schema.additionalProperties === 'object') visit(item, schema.additionalProperties as Schema, root, itemPath, errors);
    }
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`Unknown JSON Schema type ${type}.`);
  }
}
