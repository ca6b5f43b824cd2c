/**
 * The GPT-style language model of nn/languageModel.ts as a parallel workload.
 * Its layers are named as its parameters are: per block `blocks.0.ln1`,
 * `blocks.0.attn`, `blocks.0.ln2`, `blocks.0.ff.fc1`, `blocks.0.ff.gelu` and
 * `blocks.0.ff.fc2`, then `ln_f` and `lm_head`. The embeddings, norms and output
 * layer stay replicated, and attention and the feed-forward layers follow the plan.
 * Residual dropout uses the masks of one device, cut to each device's slice.
 */

import { TransformerLanguageModel, type TransformerLanguageModelConfig } from '../nn/languageModel';
import type { TransformerBlock } from '../nn/block';
import type { Dropout } from '../nn/dropout';
import { add } from '../ops/add';
import { gelu } from '../ops/gelu';
import { mul } from '../ops/mul';
import { scale } from '../ops/scale';
import { sequenceCrossEntropy } from '../ops/sequenceCrossEntropy';
import { Rng } from '../tensor/random';
import { Tensor } from '../tensor/tensor';
import { sliceForMember } from './commOps';
import type { DeviceContext, ParallelWorkload, ShardedModel } from './executor';
import type { PlanLayer } from './plan';
import {
  addReplicatedParameters,
  HeadParallelAttention,
  ShardedDense,
  type LayoutTensor,
  type ShardedParameter,
  type ShardingContext,
} from './shardedLayers';

export interface TokenBatch {
  /** Token ids [B, T], row-major. */
  inputs: Int32Array;
  /** The next token at every position, [B, T]. */
  targets: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

export type TransformerWorkloadConfig = Omit<TransformerLanguageModelConfig, 'rng'>;

/**
 * Returns the workload of a language model built from `config`, its weights drawn from
 * `seed`. With `initialValueOf`, every parameter starts from the values it returns for the
 * parameter's name instead, so the model can start where another model of the same shape starts.
 */
export function createTransformerWorkload(
  config: TransformerWorkloadConfig,
  seed: number,
  sequenceLength: number,
  initialValueOf?: (name: string) => Float32Array | undefined,
): ParallelWorkload<TokenBatch> {
  const build = () => {
    const model = new TransformerLanguageModel({ ...config, rng: new Rng(seed) });
    if (initialValueOf === undefined) return model;
    for (const [name, tensor] of model.parameterMap()) {
      const values = initialValueOf(name);
      if (values === undefined || values.length !== tensor.numel) {
        throw new Error(`No initial values of ${tensor.numel} elements for parameter "${name}" (got ${values?.length ?? 'none'}). Pass a model of the same configuration.`);
      }
      tensor.data.set(values);
    }
    return model;
  };

  return {
    describe(batchSize) {
      const { modelWidth, headCount } = config;
      const feedForwardWidth = config.feedForwardWidth ?? 4 * modelWidth;
      const layers: PlanLayer[] = [];
      for (let block = 0; block < config.layerCount; block++) {
        const prefix = `blocks.${block}`;
        layers.push(
          { id: `${prefix}.ln1`, kind: 'norm' },
          { id: `${prefix}.attn`, kind: 'attention', headCount, inFeatures: modelWidth, outFeatures: modelWidth },
          { id: `${prefix}.ln2`, kind: 'norm' },
          { id: `${prefix}.ff.fc1`, kind: 'dense', inFeatures: modelWidth, outFeatures: feedForwardWidth },
          { id: `${prefix}.ff.gelu`, kind: 'elementwise' },
          { id: `${prefix}.ff.fc2`, kind: 'dense', inFeatures: feedForwardWidth, outFeatures: modelWidth },
        );
      }
      layers.push({ id: 'ln_f', kind: 'norm' }, { id: 'lm_head', kind: 'rowwise' });
      return { layers, batchSize, sequenceLength, sequenceAxisName: 'sequence length' };
    },

    batchSizeOf: (batch) => batch.batchSize,

    createReference() {
      const model = build();
      return {
        parameters: model.parameterMap(),
        loss: (batch) => model.loss(batch.inputs, batch.targets, [batch.batchSize, batch.sequenceLength]),
      };
    },

    createSharded(device: DeviceContext): ShardedModel<TokenBatch> {
      const model = build();
      const context: ShardingContext = { ...device.sharding, sequenceAxis: 1 };
      const parameters: ShardedParameter[] = [];
      addReplicatedParameters('token_embedding.', model.tokenEmbedding.namedParameters(), parameters);
      addReplicatedParameters('position.', model.position.namedParameters(), parameters);
      const blocks = model.blocks.items.map((block, index) => shardBlock(`blocks.${index}`, block, device, context, parameters));
      addReplicatedParameters('ln_f.', model.lnF.namedParameters(), parameters);
      addReplicatedParameters('lm_head.', model.lmHead.namedParameters(), parameters);

      return {
        parameters,
        async forward(batch) {
          const { dataParallel, tensorParallel, sequenceParallel } = device.plan;
          const { sequenceLength: length } = batch;
          const rows = batch.batchSize / dataParallel;
          const firstRow = device.coordinates.dataIndex * rows;
          const positions = sequenceParallel ? length / tensorParallel : length;
          const firstPosition = sequenceParallel ? device.coordinates.tensorIndex * positions : 0;
          const slice: DeviceSlice = { batchSize: batch.batchSize, length, firstRow, rows, firstPosition, positions };
          const ids = batch.inputs.subarray(firstRow * length, (firstRow + rows) * length);
          const embedded = model.position.forward(model.tokenEmbedding.lookup(ids, [rows, length])); // [b, T, C]

          // Under sequence parallelism each member keeps its slice of the positions from here to the loss.
          let x: LayoutTensor = sequenceParallel
            ? { tensor: sliceForMember(embedded, 1, context), layout: 'sequence' } // [b, T / t, C]
            : { tensor: embedded, layout: 'full' };
          for (const block of blocks) x = await block(x, slice);

          const logits = model.lmHead.forward(model.lnF.forward(x.tensor)); // [b, T', V]
          const targets = new Int32Array(rows * positions);
          for (let row = 0; row < rows; row++) {
            const start = (firstRow + row) * length + firstPosition;
            targets.set(batch.targets.subarray(start, start + positions), row * positions);
          }
          const meanLoss = sequenceCrossEntropy(logits, targets);
          return scale(meanLoss, (rows * positions) / (batch.batchSize * length));
        },
      };
    },
  };
}

/** The rows of the batch and the positions of the sequence that one device computes. */
interface DeviceSlice {
  batchSize: number;
  length: number;
  firstRow: number;
  rows: number;
  firstPosition: number;
  positions: number;
}

/** Returns the forward pass of one block on this device, recording its parameters. */
function shardBlock(
  prefix: string,
  block: TransformerBlock,
  device: DeviceContext,
  context: ShardingContext,
  parameters: ShardedParameter[],
): (x: LayoutTensor, slice: DeviceSlice) => Promise<LayoutTensor> {
  const shardingOf = (layer: string) => device.plan.resolvedSharding.get(`${prefix}.${layer}`) ?? 'replicated';
  addReplicatedParameters(`${prefix}.ln1.`, block.ln1.namedParameters(), parameters);

  let attend: (input: LayoutTensor) => Promise<LayoutTensor>;
  if (shardingOf('attn') === 'heads') {
    const attention = new HeadParallelAttention(`${prefix}.attn`, block.attn, context, parameters);
    attend = (input) => attention.forward(input);
  } else {
    addReplicatedParameters(`${prefix}.attn.`, block.attn.namedParameters(), parameters);
    attend = (input) => Promise.resolve({ tensor: block.attn.forward(input.tensor), layout: input.layout });
  }

  addReplicatedParameters(`${prefix}.ln2.`, block.ln2.namedParameters(), parameters);
  const denseOf = (name: 'fc1' | 'fc2') => {
    const linear = block.ff[name];
    const id = `${prefix}.ff.${name}`;
    return new ShardedDense(id, shardingOf(`ff.${name}`), device.plan.gatheredColumns.has(id), { weight: linear.weight, bias: linear.bias }, context, parameters, {
      weight: `${id}.weight`,
      bias: `${id}.bias`,
    });
  };
  const fc1 = denseOf('fc1');
  const fc2 = denseOf('fc2');
  const approximate = block.ff.approximate;
  // NOTE: the block keeps its residual dropout private, so it is read by element access. Every device
  // built the block from the same seed, so its generator draws the one-device masks.
  const residualDropout: Dropout = block['residualDropout'];

  return async (x, slice) => {
    const attended = await attend({ tensor: block.ln1.forward(x.tensor), layout: x.layout });
    const hidden: LayoutTensor = { tensor: add(x.tensor, dropSlice(residualDropout, attended.tensor, slice)), layout: x.layout }; // [b, T', C]
    const expanded = await fc1.forward({ tensor: block.ln2.forward(hidden.tensor), layout: hidden.layout });
    const activated: LayoutTensor = { tensor: gelu(expanded.tensor, approximate), layout: expanded.layout };
    const projected = await fc2.forward(activated);
    return { tensor: add(hidden.tensor, dropSlice(residualDropout, projected.tensor, slice)), layout: hidden.layout }; // [b, T', C]
  };
}

/**
 * Applies dropout to this device's slice `x` [b, T', C] with the mask one device
 * would draw for the whole batch [B, T, C], so every plan drops the same elements.
 */
function dropSlice(module: Dropout, x: Tensor, slice: DeviceSlice): Tensor {
  if (!module.training || module.p === 0) return x;
  const width = x.shape[2];
  const fullMask = module.forward(Tensor.full([slice.batchSize, slice.length, width], 1)).data; // [B, T, C]
  const mask = new Float32Array(x.numel); // [b, T', C]
  for (let row = 0; row < slice.rows; row++) {
    const source = ((slice.firstRow + row) * slice.length + slice.firstPosition) * width;
    mask.set(fullMask.subarray(source, source + slice.positions * width), row * slice.positions * width);
  }
  return mul(x, new Tensor(mask, x.shape));
}
