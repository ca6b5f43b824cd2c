/**
 * Speed benchmark: one training epoch of the MNIST example network (784-128-64-10,
 * batch 64, 8,000 training digits), training steps of the character transformer
 * example on the Brown corpus, and the matrix-multiply kernel at a few sizes.
 * Prints medians of several runs; docs/benchmarks.md records the figures.
 *
 * Usage: npm run bench [-- --runs N]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { compileGraph } from '../src/engine/graph/compile';
import { makeBatches } from '../src/engine/data/batches';
import { datasetShapes } from '../src/engine/data/catalog';
import { matmulInto } from '../src/engine/kernels/matmul';
import { Adam } from '../src/engine/optim/adam';
import { Rng } from '../src/engine/tensor/random';
import { parseProject } from '../src/engine/io/project';
import { loadDataset } from '../src/main/data/loadDataset';
import { loadTextDataset } from '../src/main/data/loadTextDataset';
import { sampleTextBatch } from '../src/engine/data/text';
import { AdamW } from '../src/engine/optim/adamw';
import { clipGradNorm } from '../src/engine/optim/clip';
import { Tensor } from '../src/engine/tensor/tensor';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runCount = Number(values.runs);
if (!Number.isInteger(runCount) || runCount < 1) {
  console.error(`Invalid --runs ${values.runs}: use a positive integer.`);
  process.exit(1);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function readExample(fileName: string) {
  const path = new URL(`../resources/examples/${fileName}`, import.meta.url);
  const parsed = parseProject(readFileSync(path, 'utf8'), path.pathname);
  if (!parsed.ok) throw new Error(`The example ${fileName} is invalid: ${parsed.issues.map((i) => i.message).join('; ')}`);
  return parsed.project;
}

function benchEpoch(): void {
  const project = readExample('mnist-mlp.json');
  const dataset = loadDataset(project.dataset, project.training.seed);
  const batchSize = 64;

  const epochSeconds: number[] = [];
  for (let run = 0; run < runCount; run++) {
    const rng = new Rng(project.training.seed + run);
    const model = compileGraph(project.graph, datasetShapes(project.dataset.id), rng);
    const optimizer = new Adam(model.parameters, { learningRate: project.training.learningRate });

    const startMs = performance.now();
    for (const batch of makeBatches(dataset.train, batchSize, rng)) {
      optimizer.zeroGrad();
      const { loss } = model.forward(batch.features, batch.labels, 'train');
      loss.backward();
      optimizer.step();
    }
    const seconds = (performance.now() - startMs) / 1000;
    epochSeconds.push(seconds);
    console.log(`  run ${run + 1}/${runCount}: ${seconds.toFixed(2)} s`);
  }

  const secondsPerEpoch = median(epochSeconds);
  const samplesPerSecond = dataset.train.count / secondsPerEpoch;
  console.log(
    `mnist-mlp epoch (${dataset.train.count} digits, batch ${batchSize}): ` +
      `${secondsPerEpoch.toFixed(2)} s/epoch, ${Math.round(samplesPerSecond)} samples/s (median of ${runCount})`,
  );
}

function benchMatmul(size: number): void {
  const rng = new Rng(size);
  const a = Float32Array.from({ length: size * size }, () => rng.uniform(-1, 1));
  const b = Float32Array.from({ length: size * size }, () => rng.uniform(-1, 1));
  const out = new Float32Array(size * size);
  const flops = 2 * size * size * size;

  // Repeat each timed run until it lasts long enough to measure, at least 200 ms.
  matmulInto(a, b, out, size, size, size);
  let repeats = 1;
  for (;;) {
    const startMs = performance.now();
    for (let i = 0; i < repeats; i++) matmulInto(a, b, out, size, size, size);
    if (performance.now() - startMs >= 200) break;
    repeats *= 2;
  }

  const gflops: number[] = [];
  for (let run = 0; run < runCount; run++) {
    const startMs = performance.now();
    for (let i = 0; i < repeats; i++) matmulInto(a, b, out, size, size, size);
    const seconds = (performance.now() - startMs) / 1000;
    gflops.push((flops * repeats) / seconds / 1e9);
  }
  console.log(`matmul ${size}x${size}x${size}: ${median(gflops).toFixed(2)} GFLOP/s (median of ${runCount})`);
}

/** Times AdamW training steps of the 2-block character transformer (width 64, context 64, batch 16). */
function benchTransformerSteps(): void {
  const project = readExample('char-transformer.json');
  const tokenInput = project.graph.nodes.find((node) => node.type === 'TokenInput');
  if (tokenInput === undefined) throw new Error('The char-transformer example has no TokenInput node.');
  const contextLength = Number(tokenInput.params.contextLength);
  const { dataset } = loadTextDataset(project.dataset, contextLength, project.training.seed, tokenInput.id);
  const shapes = datasetShapes(project.dataset.id, dataset.tokenizer.vocabularySize);
  const batchSize = project.training.batchSize;
  const stepsPerRun = 10;

  const stepMs: number[] = [];
  for (let run = 0; run < runCount; run++) {
    const rng = new Rng(project.training.seed + run);
    const model = compileGraph(project.graph, shapes, rng);
    const optimizer = new AdamW(model.parameters, { learningRate: project.training.learningRate, weightDecay: 0.01 });

    const startMs = performance.now();
    for (let step = 0; step < stepsPerRun; step++) {
      const batch = sampleTextBatch(dataset, dataset.train, batchSize, rng);
      const tokens = new Tensor(Float32Array.from(batch.inputs), batch.shape); // [B, T]
      optimizer.zeroGrad();
      const { loss } = model.forward(tokens, batch.targets, 'train');
      loss.backward();
      clipGradNorm(model.parameters, 1);
      optimizer.step();
    }
    stepMs.push((performance.now() - startMs) / stepsPerRun);
    console.log(`  run ${run + 1}/${runCount}: ${stepMs[run].toFixed(1)} ms/step`);
  }

  const medianStepMs = median(stepMs);
  const tokensPerSecond = (batchSize * contextLength) / (medianStepMs / 1000);
  console.log(
    `char-transformer step (2 blocks, width 64, context ${contextLength}, batch ${batchSize}): ` +
      `${medianStepMs.toFixed(1)} ms/step, ${Math.round(tokensPerSecond)} tokens/s (median of ${runCount})`,
  );
}

console.log(`Tensorloom benchmark on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`);
for (const size of [128, 256, 512]) benchMatmul(size);
benchEpoch();
benchTransformerSteps();
