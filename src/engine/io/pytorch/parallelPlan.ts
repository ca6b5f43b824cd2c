/**
 * The `torch.distributed.tensor.parallel` form of a project's parallel plan.
 * It uses the Megatron sharding that the engine's plan resolves: a
 * column-parallel Dense, then a row-parallel one, as ColwiseParallel and
 * RowwiseParallel entries keyed by submodule name. Under sequence parallelism
 * the norms become SequenceParallel and the activations between pairs stay
 * sharded along the sequence.
 */

import type { ProjectFile } from '../../../shared/project';
import type { GraphAnalysis } from '../../graph/validate';
import { describeGraphForPlan } from '../../parallel/graphPlan';
import { resolvePlan, type ParallelPlan, type ShardingKind } from '../../parallel/plan';
import type { LayerBinding } from './names';
import { pythonCommentText, pythonInt, pythonString } from './python';

/**
 * Returns the Python functions `tensor_parallel_plan`, `make_device_mesh` and
 * `parallelize` for `plan`, or null when the plan has no tensor parallelism.
 * Layers are named as the engine's plan names them (`fc1`, `blocks.0.ff.fc1`),
 * and a TransformerBlock node id in the tensor group stands for its attention
 * and feed-forward layers. Throws ParallelPlanError when the plan does not fit the model.
 */
export function buildParallelCode(
  plan: ParallelPlan,
  project: ProjectFile,
  analysis: GraphAnalysis,
  bindings: ReadonlyMap<string, LayerBinding>,
): string[] | null {
  if (plan.tensorParallel < 2) return null;

  const model = describeGraphForPlan(analysis, project.training.batchSize, plan.dataParallel);
  if (model === null) throw new Error('Cannot export the parallel plan to PyTorch: the plan executor cannot describe this graph.');
  const submodules = planSubmodules(analysis, bindings);
  const resolved = resolvePlan({ ...plan, tensorGroup: expandBlocks(plan.tensorGroup, analysis) }, model, plan.dataParallel * plan.tensorParallel);

  // A language model's activations are [B, T, C], so the sequence is axis 1, and an MLP's rows [B, F] play the sequence on axis 0.
  const sequenceAxis = analysis.order.some((node) => node.type === 'TokenInput') ? 1 : 0;
  const sequenceParallel = plan.sequenceParallel;
  const used = new Set<string>();
  const entries: string[] = [];
  for (const layer of model.layers) {
    const submodule = submodules.get(layer.id);
    if (submodule === undefined) continue;
    const kind: ShardingKind = resolved.resolvedSharding.get(layer.id) ?? 'replicated';
    const key = pythonString(submodule);
    if (layer.kind === 'dense' && kind === 'column') {
      const options: string[] = [];
      if (sequenceParallel) options.push(`input_layouts=Shard(${sequenceAxis})`);
      if (resolved.gatheredColumns.has(layer.id)) options.push(sequenceParallel ? `output_layouts=Shard(${sequenceAxis})` : 'output_layouts=Replicate()');
      entries.push(`${key}: ColwiseParallel(${options.join(', ')}),`);
      used.add('ColwiseParallel');
      for (const option of options) used.add(option.includes('Shard') ? 'Shard' : 'Replicate');
    } else if (layer.kind === 'dense' && kind === 'row') {
      entries.push(`${key}: RowwiseParallel(${sequenceParallel ? `output_layouts=Shard(${sequenceAxis})` : ''}),`);
      used.add('RowwiseParallel');
      if (sequenceParallel) used.add('Shard');
    } else if (layer.kind === 'norm' && sequenceParallel) {
      entries.push(`${key}: SequenceParallel(${sequenceAxis === 1 ? '' : `sequence_dim=${sequenceAxis}`}),`);
      used.add('SequenceParallel');
    } else if (layer.kind === 'attention' && kind === 'heads') {
      // NOTE: PyTorch's parallel styles shard nn.Linear and nn.Embedding, and each exported head keeps its own
      // w_q, w_k and w_v parameters, so the head split has no entry and attention runs whole on every device.
      entries.push(`# ${key}: split by heads in Tensorloom; each head has its own parameters here, so it stays whole.`);
    }
  }

  return parallelFunctions(plan, entries, used);
}

/**
 * Maps each plan layer name to its submodule in the exported model: a node id to
 * the node's submodule, and `blocks.<i>.<path>` (the i-th TransformerBlock in
 * forward order, as the engine's plan counts them) to `<block submodule>.<path>`.
 */
function planSubmodules(analysis: GraphAnalysis, bindings: ReadonlyMap<string, LayerBinding>): Map<string, string> {
  const submodules = new Map<string, string>();
  let blockIndex = 0;
  for (const node of analysis.order) {
    const binding = bindings.get(node.id);
    if (binding === undefined) continue;
    if (node.type !== 'TransformerBlock') {
      submodules.set(node.id, binding.moduleName);
      continue;
    }
    const prefix = `blocks.${blockIndex++}`;
    for (const path of ['ln1', 'attn', 'ln2', 'ff.fc1', 'ff.fc2']) submodules.set(`${prefix}.${path}`, `${binding.moduleName}.${path}`);
  }
  return submodules;
}

/** Replaces each TransformerBlock node id in the tensor group by the block's attention and feed-forward layers. */
function expandBlocks(tensorGroup: readonly string[], analysis: GraphAnalysis): string[] {
  const blockIds = analysis.order.filter((node) => node.type === 'TransformerBlock').map((node) => node.id);
  const expanded: string[] = [];
  for (const id of tensorGroup) {
    const index = blockIds.indexOf(id);
    if (index === -1) expanded.push(id);
    else expanded.push(`blocks.${index}.attn`, `blocks.${index}.ff.fc1`, `blocks.${index}.ff.fc2`);
  }
  return expanded;
}

function parallelFunctions(plan: ParallelPlan, entries: readonly string[], used: ReadonlySet<string>): string[] {
  const styles = ['ColwiseParallel', 'RowwiseParallel', 'SequenceParallel'].filter((name) => used.has(name));
  const placements = ['Replicate', 'Shard'].filter((name) => used.has(name));
  const degrees = `${pythonInt(plan.dataParallel)} x ${pythonInt(plan.tensorParallel)}`;
  const lines = [
    'def tensor_parallel_plan() -> Dict[str, object]:',
    '    """Return the tensor-parallel plan of the Tensorloom project for parallelize_module().',
    '',
    `    The project runs on a data x tensor mesh of ${degrees} devices${plan.sequenceParallel ? ' with sequence parallelism' : ''}.`,
    '    Dense layers follow the Megatron pattern: a column-parallel layer splits its',
    '    outputs, and the row-parallel layer after it splits its inputs and all-reduces.',
    '    Needs PyTorch 2.2 or newer, and 2.3 or newer for SequenceParallel.',
    '    """',
  ];
  if (styles.length > 0) lines.push(`    from torch.distributed.tensor.parallel import ${styles.join(', ')}`);
  if (placements.length > 0) {
    lines.push(
      '    try:',
      `        from torch.distributed.tensor import ${placements.join(', ')}`,
      '    except ImportError:',
      '        # Earlier 2.x releases, such as 2.3, keep the placements in torch.distributed._tensor.',
      `        from torch.distributed._tensor import ${placements.join(', ')}`,
    );
  }
  if (entries.length > 0) lines.push('', '    return {', ...entries.map((entry) => `        ${entry}`), '    }');
  else lines.push('', '    # No layer of the tensor group is sharded.', '    return {}');

  lines.push(
    '',
    '',
    'def make_device_mesh(device_type: str = "cuda") -> object:',
    `    """Build the ${pythonCommentText(degrees)} device mesh of the plan, with dimensions "dp" and "tp"."""`,
    '    from torch.distributed.device_mesh import init_device_mesh',
    '',
    `    return init_device_mesh(device_type, (${pythonInt(plan.dataParallel)}, ${pythonInt(plan.tensorParallel)}), mesh_dim_names=("dp", "tp"))`,
    '',
    '',
    'def parallelize(model: nn.Module, device_mesh: object | None = None) -> nn.Module:',
    '    """Shard model over the "tp" dimension of device_mesh with tensor_parallel_plan().',
    '',
    '    Wrap the result in FullyShardedDataParallel or DistributedDataParallel over',
    '    the "dp" dimension for the data-parallel replicas.',
    '    """',
    '    from torch.distributed.tensor.parallel import parallelize_module',
    '',
    '    if device_mesh is None:',
    '        device_mesh = make_device_mesh()',
    '    return parallelize_module(model, device_mesh["tp"], tensor_parallel_plan())',
  );
  return lines;
}
