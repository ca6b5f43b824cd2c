/**
 * A fingerprint of the parts of a project that decide its parameter names and
 * shapes: the dataset, the nodes with their types and parameters, and the edges.
 * Canvas positions, names and training settings are left out, so moving a node or
 * changing the learning rate keeps the hash. A weights file records the hash under
 * `__metadata__`, and importing it into a graph with another hash gives a warning.
 */

import { createHash } from 'node:crypto';
import type { ParamValue, ProjectFile } from '../../shared/project';
import { defaultRegistry } from '../../engine/graph/nodes/index';
import { resolveParams } from '../../engine/graph/registry';

/** `__metadata__` key under which exported weights and checkpoints record `graphHash`. */
export const GRAPH_HASH_METADATA_KEY = 'tensorloom.graph_hash';

/** Returns the SHA-256 of the project's graph structure as 64 hex digits. */
export function graphHash(project: ProjectFile): string {
  const nodes = [...project.graph.nodes]
    .sort((a, b) => compareCodeUnits(a.id, b.id))
    .map((node) => [node.id, node.type, sortedEntries(paramsWithDefaults(node.type, node.params))]);
  const edges = project.graph.edges
    .map((edge) => [edge.source, edge.sourcePort, edge.target, edge.targetPort])
    .sort((a, b) => compareCodeUnits(a.join('\u0000'), b.join('\u0000')));
  const canonical = JSON.stringify({ dataset: project.dataset.id, nodes, edges });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

// Defaults are filled in so that `{ units: 128 }` and `{ units: 128, bias: true }` hash alike.
function paramsWithDefaults(type: string, params: Readonly<Record<string, ParamValue>>): Record<string, ParamValue> {
  const spec = defaultRegistry.get(type);
  if (spec === undefined) return { ...params };
  return resolveParams(spec, params ?? {}).params;
}

function sortedEntries(record: Readonly<Record<string, unknown>>): Array<[string, unknown]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => compareCodeUnits(a, b));
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
