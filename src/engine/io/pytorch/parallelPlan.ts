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
import { resolvePlan, type ParallelPlan, type PlanLayer, type ShardingKind } from '../../parallel/plan';
import type { LayerBinding } from './names';
import { pythonCommentText, pythonInt, pythonString } from './python';

/** Node types that act on each element alone, so any sharding passes through them. */
const ELEMENTWISE_TYPES = new Set(['ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Dropout', 'ResidualAdd']);
const NORM_TYPES = new Set(['LayerNorm', 'RMSNorm']);

/** One layer of the plan and the submodule that carries it in the exported model. */
interface ExportLayer extends PlanLayer {
  /** Fully qualified submodule name in the exported model, or null for a layer without its own submodule. */
  submodule: string | null;
}

/**
 * Returns the Python functions `tensor_parallel_plan`, `make_device_mesh` and
 * `parallelize` for `plan`, or null when the plan has no tensor parallelism.
 * Throws ParallelPlanError when the plan does not fit the model.
 */
export function buildParallelCode(
  plan: ParallelPlan,
  project: ProjectFile,
  analysis: GraphAnalysis,
  bindings: ReadonlyMap<string, LayerBinding>,
): string[] | null {
  if (plan.tensorParallel < 2) return null;

  const layers = planLayers(analysis, bindings);
  const tokenInput = analysis.order.find((node) => node.type === 'TokenInput');
  const batchSize = project.training.batchSize;
  const resolved = resolvePlan(
    { ...plan, tensorGroup: expandGroup(plan.tensorGroup, layers) },
    {
      layers,
      batchSize,
      sequenceLength: tokenInput === undefined ? batchSize / plan.dataParallel : (analysis.params.get(tokenInput.id)!.contextLength as number),
      sequenceAxisName: tokenInput === undefined ? 'rows per data replica' : 'sequence length',
    },
    plan.dataParallel * plan.tensorParallel,
  );

  // A language model's activations are [B, T, C], so the sequence is axis 1; an MLP's rows [B, F] play the sequence on axis 0.
  const sequenceAxis = tokenInput === undefined ? 0 : 1;
  const sequenceParallel = plan.sequenceParallel;
  const used = new Set<string>();
  const entries: string[] = [];
  for (const layer of layers) {
    const kind: ShardingKind = resolved.resolvedSharding.get(layer.id) ?? 'replicated';
    if (layer.submodule === null) continue;
    const key = pythonString(layer.submodule);
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

/** Lists the model's layers in forward order, with transformer blocks and feed-forward nodes opened into their linear layers and norms. */
function planLayers(analysis: GraphAnalysis, bindings: ReadonlyMap<string, LayerBinding>): ExportLayer[] {
  const layers: ExportLayer[] = [];
  for (const node of analysis.order) {
    const params = analysis.params.get(node.id)!;
    const moduleName = bindings.get(node.id)?.moduleName ?? null;
    const child = (path: string) => (moduleName === null ? null : `${moduleName}.${path}`);
    const inputShape = analysis.incoming.get(node.id)?.get('input');
    const shape = inputShape === undefined ? undefined : analysis.edgeShapes.get(inputShape.id);
    const width = shape === undefined ? undefined : (shape[shape.length - 1] as number);

    switch (node.type) {
      case 'Input':
      case 'TokenInput':
        break;
      case 'Dense':
        layers.push({ id: node.id, kind: 'dense', inFeatures: width, outFeatures: params.units as number, submodule: moduleName });
        break;
      case 'MultiHeadAttention':
        layers.push({ id: node.id, kind: 'attention', headCount: params.heads as number, submodule: moduleName });
        break;
      case 'AttentionHead':
        layers.push({ id: node.id, kind: 'attention', headCount: 1, submodule: moduleName });
        break;
      case 'FeedForward':
        layers.push(...feedForwardLayers(node.id, width, params.hiddenWidth as number, child));
        break;
      case 'TransformerBlock':
        layers.push(
          { id: `${node.id}.ln1`, kind: 'norm', submodule: child('ln1') },
          { id: `${node.id}.attn`, kind: 'attention', headCount: params.heads as number, submodule: child('attn') },
          { id: `${node.id}.ln2`, kind: 'norm', submodule: child('ln2') },
          ...feedForwardLayers(`${node.id}.ff`, width, params.hiddenWidth as number, (path) => child(`ff.${path}`)),
        );
        break;
      default:
        if (NORM_TYPES.has(node.type)) layers.push({ id: node.id, kind: 'norm', submodule: moduleName });
        else if (ELEMENTWISE_TYPES.has(node.type)) layers.push({ id: node.id, kind: 'elementwise', submodule: null });
        // Softmax, Concat, embeddings, the unembedding and the Loss need whole feature rows.
        else layers.push({ id: node.id, kind: 'rowwise', submodule: null });
    }
  }
  return layers;
}

function feedForwardLayers(id: string, width: number | undefined, hiddenWidth: number, child: (path: string) => string | null): ExportLayer[] {
  return [
    { id: `${id}.fc1`, kind: 'dense', inFeatures: width, outFeatures: hiddenWidth, submodule: child('fc1') },
    { id: `${id}.gelu`, kind: 'elementwise', submodule: null },
    { id: `${id}.fc2`, kind: 'dense', inFeatures: hiddenWidth, outFeatures: width, submodule: child('fc2') },
  ];
}

/** Replaces each node id in the tensor group that stands for several layers (a block, a feed-forward) by those layers. */
function expandGroup(tensorGroup: readonly string[], layers: readonly ExportLayer[]): string[] {
  const ids = new Set(layers.map((layer) => layer.id));
  const expanded: string[] = [];
  for (const id of tensorGroup) {
    if (ids.has(id)) {
      expanded.push(id);
      continue;
    }
    const parts = layers.filter((layer) => layer.id.startsWith(`${id}.`)).map((layer) => layer.id);
    expanded.push(...(parts.length > 0 ? parts : [id]));
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
