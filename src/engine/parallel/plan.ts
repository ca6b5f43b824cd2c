/**
 * Partition plans: how one model runs on a data × tensor mesh of devices.
 *
 * Data parallelism gives each data replica its slice of the batch. Tensor
 * parallelism shards the layers of the tensor group in the Megatron pattern:
 * a column-parallel Dense (weight split along its outputs) followed by a
 * row-parallel Dense (weight split along its inputs), attention split by heads,
 * norms and activations replicated. Sequence parallelism also splits the
 * activations outside those layers along the sequence (the rows of an MLP
 * batch), so norms run on a slice of the sequence on each device.
 */

export type ShardingKind = 'column' | 'row' | 'heads' | 'replicated';

export const SHARDING_KINDS: readonly ShardingKind[] = ['column', 'row', 'heads', 'replicated'];

export interface ParallelPlan {
  /** Number of data-parallel replicas. Each takes batchSize / dataParallel samples. */
  dataParallel: number;
  /** Number of devices that shard each layer of the tensor group. */
  tensorParallel: number;
  /** Splits the activations outside the sharded layers along the sequence over the tensor group. */
  sequenceParallel: boolean;
  /** Node ids (or layer names) inside the tensor-parallel region. Layers outside it are replicated. */
  tensorGroup: string[];
  /** Sharding of layers in the tensor group by id. A missing entry takes the inferred default. */
  sharding?: Record<string, ShardingKind>;
}

/**
 * One layer as plan validation reads it. A `dense` layer has a weight
 * [outFeatures, inFeatures], an `elementwise` one (ReLU, GELU, dropout) runs on any
 * split, a `rowwise` one (softmax, loss) needs whole feature rows, and a `norm`
 * has replicated weights.
 */
export interface PlanLayer {
  id: string;
  kind: 'dense' | 'attention' | 'norm' | 'elementwise' | 'rowwise';
  inFeatures?: number;
  outFeatures?: number;
  headCount?: number;
}

export interface PlanModel {
  /** Layers in the order the forward pass runs them. */
  layers: PlanLayer[];
  /** Samples per step over all devices. */
  batchSize: number;
  /**
   * Length of the axis that sequence parallelism splits, per data replica. For a
   * sequence model it is the sequence length T; for an MLP it is the rows of a data
   * replica's batch, batchSize / dataParallel.
   */
  sequenceLength: number;
  /** Name of the sequence axis in messages, `sequence length` or `rows per data replica`. */
  sequenceAxisName: string;
}

/** A validated plan with the sharding of every layer in the tensor group resolved. */
export interface ResolvedPlan extends ParallelPlan {
  worldSize: number;
  /** Sharding of every layer in the tensor group. Layers outside it are replicated. */
  resolvedSharding: Map<string, ShardingKind>;
  /** Column-parallel Dense layers that all-gather their output because no row-parallel layer follows. */
  gatheredColumns: Set<string>;
}

/** A plan that cannot run. `issues` lists every problem, and `message` lists them one per line. */
export class ParallelPlanError extends Error {
  readonly issues: string[];

  constructor(issues: string[]) {
    super(`The parallel plan is invalid. Fix these ${issues.length} issue(s):\n${issues.map((issue) => `- ${issue}`).join('\n')}`);
    this.name = 'ParallelPlanError';
    this.issues = issues;
  }
}

/**
 * Returns the default sharding of the tensor group: Dense layers alternate column
 * then row (Megatron), attention is split by heads, norms are replicated, and
 * element-wise layers need no entry. A layer set in `explicit` keeps its setting
 * and restarts the alternation after it.
 */
export function inferSharding(layers: readonly PlanLayer[], tensorGroup: readonly string[], explicit: Record<string, ShardingKind> = {}): Map<string, ShardingKind> {
  const inGroup = new Set(tensorGroup);
  const sharding = new Map<string, ShardingKind>();
  let nextDense: ShardingKind = 'column';
  for (const layer of layers) {
    if (!inGroup.has(layer.id)) {
      if (layer.kind === 'dense' || layer.kind === 'attention') nextDense = 'column';
      continue;
    }
    const chosen = explicit[layer.id];
    if (layer.kind === 'dense') {
      const kind: ShardingKind = chosen ?? nextDense;
      sharding.set(layer.id, kind);
      nextDense = kind === 'column' ? 'row' : 'column';
    } else if (layer.kind === 'attention') {
      sharding.set(layer.id, chosen ?? 'heads');
      nextDense = 'column';
    } else if (layer.kind === 'norm') {
      sharding.set(layer.id, chosen ?? 'replicated');
    } else if (chosen !== undefined) {
      sharding.set(layer.id, chosen);
    }
  }
  return sharding;
}

/** Checks `plan` against the model and the world, and returns it with every layer's sharding resolved. Throws `ParallelPlanError`. */
export function resolvePlan(plan: ParallelPlan, model: PlanModel, worldSize: number): ResolvedPlan {
  const issues: string[] = [];
  const { dataParallel, tensorParallel } = plan;
  checkPositiveInteger(issues, 'dataParallel', dataParallel);
  checkPositiveInteger(issues, 'tensorParallel', tensorParallel);
  if (typeof plan.sequenceParallel !== 'boolean') {
    issues.push(`The plan's sequenceParallel is ${String(plan.sequenceParallel)}, but it must be true or false.`);
  }
  if (!Array.isArray(plan.tensorGroup) || plan.tensorGroup.some((id) => typeof id !== 'string')) {
    issues.push(`The plan's tensorGroup must be a list of layer ids, got ${JSON.stringify(plan.tensorGroup)}. Use [] for no tensor-parallel layers.`);
  }
  if (issues.length > 0) throw new ParallelPlanError(issues);

  if (dataParallel * tensorParallel !== worldSize) {
    issues.push(
      `The plan needs dataParallel ${dataParallel} × tensorParallel ${tensorParallel} = ${dataParallel * tensorParallel} devices, but the world has ${worldSize}. Choose sizes whose product is ${worldSize}.`,
    );
  }
  if (model.batchSize % dataParallel !== 0) {
    issues.push(
      `The batch of ${model.batchSize} samples is not divisible by dataParallel ${dataParallel}. Use a batch size that is a multiple of ${dataParallel}.`,
    );
  }
  if (plan.sequenceParallel && tensorParallel < 2) {
    issues.push(`Sequence parallelism needs tensor parallelism, but tensorParallel is ${tensorParallel}. Set tensorParallel to 2 or more, or turn sequenceParallel off.`);
  } else if (plan.sequenceParallel && Number.isInteger(model.sequenceLength) && model.sequenceLength % tensorParallel !== 0) {
    // A fractional length comes from a batch that does not divide by dataParallel, which is reported above.
    issues.push(
      `Sequence parallelism splits the ${model.sequenceAxisName} (${model.sequenceLength}) over tensorParallel ${tensorParallel}, but ${model.sequenceLength} is not divisible by ${tensorParallel}. Make the ${model.sequenceAxisName} a multiple of ${tensorParallel}.`,
    );
  }

  const layersById = new Map(model.layers.map((layer) => [layer.id, layer]));
  for (const id of plan.tensorGroup) {
    if (!layersById.has(id)) {
      issues.push(`The tensor group names "${id}", which is not a layer of the model. Known layers: ${model.layers.map((layer) => layer.id).join(', ')}.`);
    }
  }
  const inGroup = new Set(plan.tensorGroup);
  for (const [id, kind] of Object.entries(plan.sharding ?? {})) {
    const layer = layersById.get(id);
    if (!SHARDING_KINDS.includes(kind)) {
      issues.push(`Layer "${id}" has the unknown sharding "${String(kind)}". Use one of ${SHARDING_KINDS.join(', ')}.`);
    } else if (!inGroup.has(id)) {
      issues.push(`Layer "${id}" has sharding "${kind}" but is not in the tensor group. Add it to tensorGroup or remove its sharding.`);
    } else if (layer !== undefined && !shardingFits(layer, kind)) {
      issues.push(`Layer "${id}" is a ${layer.kind} layer and cannot be sharded as "${kind}". ${shardingHint(layer)}`);
    }
  }

  const resolvedSharding = inferSharding(model.layers, plan.tensorGroup, plan.sharding);
  const gatheredColumns = checkLayerSequence(issues, plan, model.layers, resolvedSharding);
  if (issues.length > 0) throw new ParallelPlanError(issues);
  return { ...plan, worldSize, resolvedSharding, gatheredColumns };
}

/**
 * Walks the layers in order, tracking whether the activation is split along its
 * features, and checks each sharded layer's dimensions. Returns the column layers
 * whose output must be gathered.
 */
function checkLayerSequence(issues: string[], plan: ParallelPlan, layers: readonly PlanLayer[], sharding: Map<string, ShardingKind>): Set<string> {
  const t = plan.tensorParallel;
  const gatheredColumns = new Set<string>();
  let openColumn: string | null = null;

  layers.forEach((layer, index) => {
    const kind: ShardingKind = sharding.get(layer.id) ?? 'replicated';
    if (layer.kind === 'elementwise') return;

    if (kind === 'row') {
      if (openColumn === null) {
        issues.push(
          `Row-parallel layer "${layer.id}" has no preceding column-parallel layer, so its input is not split along the features. Shard the Dense layer before it as "column" (with only element-wise layers between), or make "${layer.id}" column-parallel or replicated.`,
        );
      }
      if (layer.inFeatures !== undefined && layer.inFeatures % t !== 0) {
        issues.push(`Row-parallel layer "${layer.id}" has ${layer.inFeatures} input features, which is not divisible by tensorParallel ${t}. Use a multiple of ${t}.`);
      }
      openColumn = null;
      return;
    }
    if (openColumn !== null) {
      gatheredColumns.add(openColumn);
      openColumn = null;
    }

    if (kind === 'column') {
      if (layer.outFeatures !== undefined && layer.outFeatures % t !== 0) {
        issues.push(`Column-parallel layer "${layer.id}" has ${layer.outFeatures} output features, which is not divisible by tensorParallel ${t}. Use a multiple of ${t}.`);
      }
      if (nextShardedKind(layers, index, sharding) === 'row') {
        openColumn = layer.id;
      } else {
        gatheredColumns.add(layer.id);
      }
    } else if (kind === 'heads' && layer.headCount !== undefined && layer.headCount % t !== 0) {
      issues.push(`Attention layer "${layer.id}" has ${layer.headCount} heads, which is not divisible by tensorParallel ${t}. Use a head count that is a multiple of ${t}.`);
    } else if (plan.sequenceParallel && layer.kind === 'attention' && kind !== 'heads') {
      issues.push(
        `Attention layer "${layer.id}" is replicated, but sequence parallelism gives it only a slice of the sequence. Add it to the tensor group with sharding "heads", or turn sequenceParallel off.`,
      );
    }
  });
  if (openColumn !== null) gatheredColumns.add(openColumn);
  return gatheredColumns;
}

/** Returns the sharding of the first layer after `index` that is not element-wise. */
function nextShardedKind(layers: readonly PlanLayer[], index: number, sharding: Map<string, ShardingKind>): ShardingKind | null {
  for (let i = index + 1; i < layers.length; i++) {
    if (layers[i].kind !== 'elementwise') return sharding.get(layers[i].id) ?? 'replicated';
  }
  return null;
}

function shardingFits(layer: PlanLayer, kind: ShardingKind): boolean {
  if (kind === 'replicated') return true;
  if (kind === 'heads') return layer.kind === 'attention';
  return layer.kind === 'dense';
}

function shardingHint(layer: PlanLayer): string {
  if (layer.kind === 'dense') return 'Use "column", "row" or "replicated".';
  if (layer.kind === 'attention') return 'Use "heads" or "replicated".';
  return 'Use "replicated".';
}

function checkPositiveInteger(issues: string[], field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    issues.push(`The plan's ${field} is ${String(value)}, but it must be a positive integer number of devices.`);
  }
}
