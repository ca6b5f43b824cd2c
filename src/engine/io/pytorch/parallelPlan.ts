import type { GraphAnalysis } from '../../graph/validate';
import type { ParallelPlan } from '../../parallel/plan';
import type { LayerBinding } from './names';

export function buildParallelCode(_plan: ParallelPlan, _analysis: GraphAnalysis, _bindings: Map<string, LayerBinding>): string[] | null {
  return null;
}
