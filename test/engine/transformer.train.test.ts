import { describe, expect, test } from 'vitest';
import { noGrad } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { TransformerLanguageModel } from '../../src/engine/nn/languageModel';
import { AdamW } from '../../src/engine/optim/adamw';
import { clipGradNorm } from '../../src/engine/optim/clip';
import { warmupCosineSchedule } from '../../src/engine/optim/schedule';
import { generateTokens } from '../../src/engine/generate';
import { CharTokenizer } from '../../src/engine/data/tokenizers';
import { buildTextDataset, sampleTextBatch, textWindowBatch, type TextDataset, type TextSplit } from '../../src/engine/data/text';

// A short plain-English text written for this test, 1,706 characters.
const TEXT = `A small river runs past the old mill at the edge of the town. In the spring the water is high and fast, and the children
are told to stay away from the bank. In the summer the river is slow and warm, and the same children swim in it every day.
The miller's house stands on the far side of the water. It has a red door, a green roof and a garden full of beans and
roses. The miller is an old man now, and he does not grind grain any more, but he still keeps the wheel clean and turns it
by hand once a week so that it does not rust. He says the wheel is the heart of the house, and a house with a still heart
is not a home. In the evening he sits on a bench by the door and watches the light go down behind the hills. Sometimes
a neighbour comes over the bridge with a loaf of bread or a jar of honey, and they talk about the weather, the price of
flour, and the days when the mill was the busiest place in the valley. The town has changed since then. There is a new
road, a new school and a shop that sells everything from nails to newspapers. Most people drive to the city to work, and
few of them know the name of the river. But the children still swim in it, and the miller still turns the wheel, and the
water still runs past the mill as it did a hundred years ago. When the miller dies, his niece will have the house. She
lives in the city and works in an office, but she has promised to keep the garden and to turn the wheel once a week. The
neighbours are not sure she will. The miller is sure. He says she has the same hands as her grandmother, and her
grandmother never broke a promise in her life. So the wheel will turn, and the river will run, and the town will go on
changing around them both.`;

const CONTEXT_LENGTH = 32;
const BATCH_SIZE = 16;
const STEPS = 300;

/** Mean loss over up to `limit` evenly spaced windows of `split`, in nats per character. */
function evaluate(model: TransformerLanguageModel, dataset: TextDataset, split: TextSplit, limit: number): number {
  const count = Math.min(limit, split.windowStarts.length);
  const indices = Array.from({ length: count }, (_unused, i) => Math.floor((i * split.windowStarts.length) / count));
  const batch = textWindowBatch(dataset, split, indices);
  return noGrad(() => model.loss(batch.inputs, batch.targets, batch.shape).item());
}

describe('tiny character transformer', () => {
  test('tiny model loss falls below the unigram entropy', () => {
    const tokenizer = CharTokenizer.fromText(TEXT);
    const dataset = buildTextDataset(TEXT, tokenizer, { contextLength: CONTEXT_LENGTH, validationFraction: 0.1, seed: 1 });
    const model = new TransformerLanguageModel({
      vocabularySize: tokenizer.vocabularySize,
      contextLength: CONTEXT_LENGTH,
      modelWidth: 32,
      headCount: 4,
      layerCount: 1,
      rng: new Rng(42),
    });
    const parameters = model.parameterMap();
    const optimizer = new AdamW(parameters, { learningRate: 1e-2, weightDecay: 0.01 });
    const schedule = warmupCosineSchedule({ baseLearningRate: 1e-2, warmupSteps: 20, totalSteps: STEPS, minLearningRate: 1e-3 });
    const rng = new Rng(7);

    const initialLoss = evaluate(model, dataset, dataset.train, 64);
    const progress: string[] = [];
    const startedMs = performance.now();
    for (let step = 0; step < STEPS; step++) {
      const batch = sampleTextBatch(dataset, dataset.train, BATCH_SIZE, rng);
      optimizer.zeroGrad();
      const loss = model.loss(batch.inputs, batch.targets, batch.shape);
      loss.backward();
      clipGradNorm(parameters, 1);
      optimizer.learningRate = schedule(step);
      optimizer.step();
      if ((step + 1) % 100 === 0) {
        const elapsedMs = performance.now() - startedMs;
        progress.push(`step ${step + 1} loss ${loss.item().toFixed(4)} nats/char ${(elapsedMs / (step + 1)).toFixed(1)} ms/step`);
      }
    }
    const trainLoss = evaluate(model, dataset, dataset.train, 64);
    const validationLoss = evaluate(model, dataset, dataset.validation, 64);
    const sample = tokenizer.decode(
      generateTokens((context) => model.nextTokenLogits(context), tokenizer.encode('The miller'), { maxNewTokens: 60, temperature: 0.5, rng: new Rng(3) }),
    );
    console.log(
      [
        ...progress,
        `unigram entropy ${dataset.unigramEntropyNats.toFixed(4)} nats/char, vocabulary ${tokenizer.vocabularySize} characters`,
        `initial loss ${initialLoss.toFixed(4)}, train loss ${trainLoss.toFixed(4)}, validation loss ${validationLoss.toFixed(4)} nats/char`,
        `sample: ${JSON.stringify(sample)}`,
      ].join('\n'),
    );

    expect(initialLoss).toBeGreaterThan(dataset.unigramEntropyNats);
    expect(trainLoss).toBeLessThan(dataset.unigramEntropyNats);
    expect(validationLoss).toBeLessThan(dataset.unigramEntropyNats);
  });
});
