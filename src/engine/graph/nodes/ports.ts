/** Port declarations and shape-rule helpers shared by the node types. */

import type { PortSpec, ShapeResult } from '../types';

/** The single required input of a layer or activation. */
export const INPUT_PORT: PortSpec = { name: 'input', label: 'Input', required: true };
/** The single output of a layer or activation. */
export const OUTPUT_PORT: PortSpec = { name: 'output', label: 'Output', required: false };

export function shapeError(port: string, message: string): ShapeResult {
  return { ok: false, port, message };
}
