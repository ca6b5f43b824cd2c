/**
 * Builds a one-block character transformer from the palette, trains it for a
 * few steps on the Brown corpus in the real device process, then looks at its
 * attention and generates text. The tests share one page and run in order,
 * because the later ones use the trained model.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { connectPorts, dropNode, node, openApp, selectNode, setRunField, stopLeftoverRun, takePageErrors } from './app';

test.describe.configure({ mode: 'serial' });

/** Where the screenshots of the new views go; test-results/ is ignored by git. */
const SCREENSHOT_FOLDER = 'test-results/screenshots';
const CONTEXT_LENGTH = 16;

let page: Page;
let textFolder: string;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openApp(page);
  textFolder = await mkdtemp(join(tmpdir(), 'tensorloom-e2e-text-'));
});

test.afterAll(async () => {
  await stopLeftoverRun(page);
  await page.close();
  await rm(textFolder, { recursive: true, force: true });
});

test.afterEach(() => {
  expect(takePageErrors(page)).toEqual([]);
});

async function fitView(): Promise<void> {
  await page.locator('.svelte-flow__controls-fitview').click();
}

test('one-block transformer from the palette validates', async () => {
  await page.getByTestId('run-dataset').selectOption('brown');
  await expect(page.getByTestId('run-tokenizer')).toHaveValue('char');

  await dropNode(page, 'TokenInput', { x: 20, y: 20 });
  await dropNode(page, 'Embedding', { x: 20, y: 200 });
  await dropNode(page, 'PositionalEncoding', { x: 20, y: 380 });
  await dropNode(page, 'LayerNorm', { x: 420, y: 20 });
  await dropNode(page, 'Unembedding', { x: 620, y: 20 });
  await dropNode(page, 'Loss', { x: 820, y: 20 });

  await selectNode(page, 'tokeninput1');
  await page.getByTestId('param-tokeninput1-contextLength').fill(String(CONTEXT_LENGTH));
  await selectNode(page, 'embedding1');
  await page.getByTestId('param-embedding1-width').fill('16');
  await connectPorts(page, ['tokeninput1', 'tokens'], ['embedding1', 'input']);
  await connectPorts(page, ['embedding1', 'output'], ['positionalencoding1', 'input']);

  // With the positional encoding selected, the template is wired after it and sized to its width.
  await selectNode(page, 'positionalencoding1');
  await page.getByTestId('palette-template-transformer-block').dblclick();
  for (const suffix of ['ln1', 'attn', 'add1', 'ln2', 'ff', 'add2']) {
    await expect(node(page, `block1_${suffix}`)).toBeVisible();
  }
  await expect(node(page, 'block1_ff')).toContainText('hiddenWidth 64');
  await expect(node(page, 'block1_attn')).toContainText('heads 4');

  await fitView();
  await connectPorts(page, ['block1_add2', 'output'], ['layernorm1', 'input']);
  await connectPorts(page, ['layernorm1', 'output'], ['unembedding1', 'input']);
  await connectPorts(page, ['unembedding1', 'output'], ['loss1', 'prediction']);
  await connectPorts(page, ['tokeninput1', 'targets'], ['loss1', 'target']);

  await expect(page.getByTestId('issue-count')).toHaveText('0');
  await expect(page.locator('.svelte-flow__edge-label').filter({ hasText: `[B, ${CONTEXT_LENGTH}, 16]` }).first()).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/transformer-canvas.png` });
});

test('short run reports loss against entropy', async () => {
  await setRunField(page, 'run-epochs', '1');
  await setRunField(page, 'run-steps-per-epoch', '12');
  await setRunField(page, 'run-batch-size', '8');
  await setRunField(page, 'run-learning-rate', '0.003');

  // One step first, so the attention view shows weights during the run, then the rest of the run.
  await page.getByTestId('view-tab-attention').click();
  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('attention-step')).toContainText('step 1', { timeout: 20_000 });
  await expect(page.getByTestId('attention-step')).not.toContainText('run ended');

  await page.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-state')).toHaveText('completed', { timeout: 80_000 });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await expect(page.getByTestId('attention-step')).toContainText('step 12 (run ended)');

  const chart = page.getByTestId('metrics-chart');
  await expect(chart).toHaveAttribute('data-epoch-points', '1');
  const entropy = Number(await chart.getAttribute('data-unigram-entropy'));
  const validationLoss = Number(await chart.getAttribute('data-last-test-loss'));
  // Characters of English text carry about 3 nats each by frequency alone.
  expect(entropy).toBeGreaterThan(2);
  expect(entropy).toBeLessThan(5);
  expect(Number.isFinite(validationLoss)).toBe(true);
  await expect(page.getByTestId('text-loss-readout')).toContainText('nats/char');
  await expect(page.getByTestId('text-loss-readout')).toContainText('unigram entropy');
});

test('attention view draws a causal heatmap', async () => {
  await page.getByTestId('view-tab-attention').click();
  const heatmap = page.getByTestId('attention-heatmap');
  await expect(heatmap).toBeVisible({ timeout: 20_000 });
  await expect(heatmap).toHaveAttribute('data-positions', String(CONTEXT_LENGTH));
  await expect(heatmap).toHaveAttribute('data-masked-max', '0');
  await expect(page.getByTestId('attention-layer').locator('option')).toHaveCount(1);
  await expect(page.getByTestId('attention-head').locator('option')).toHaveCount(4);

  // The heads listed on the canvas node select the head the view draws.
  await page.getByTestId('node-heads-toggle-block1_attn').click();
  await page.getByTestId('node-head-block1_attn-2').click();
  await expect(page.getByTestId('attention-head')).toHaveValue('2');
  await expect(page.getByTestId('attention-step')).toContainText('head 2');
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/attention-view.png` });
});

test('attention follows a chosen input text', async () => {
  await page.getByTestId('attention-text').fill('the cat sat');
  await page.getByTestId('attention-text-apply').click();
  // The device stays up after the run, so it reports the attention for the new text.
  await expect(page.getByTestId('attention-heatmap')).toHaveAttribute('data-positions', '11', { timeout: 20_000 });
  await expect(page.getByTestId('attention-heatmap')).toHaveAttribute('data-masked-max', '0');
});

test('generation streams text and its distribution', async () => {
  await page.getByTestId('view-tab-generate').click();
  await page.getByTestId('generate-prompt').fill('The ');
  await page.getByTestId('generate-token-count').fill('40');
  await page.getByTestId('generate-temperature').fill('0');
  await expect(page.getByTestId('generate-temperature-value')).toHaveText('0 (greedy)');
  await page.getByTestId('generate-temperature').fill('0.8');
  await expect(page.getByTestId('generate-temperature-value')).toHaveText('0.80');

  await page.getByTestId('generate-start').click();
  await expect(page.getByTestId('generate-start')).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByTestId('generate-error')).toHaveCount(0);
  const text = (await page.getByTestId('generate-text').textContent()) ?? '';
  expect(text.length).toBeGreaterThanOrEqual(40);
  expect(text.trim().length).toBeGreaterThan(0);
  const bars = page.getByTestId('generate-distribution');
  await expect(bars).toBeVisible();
  expect(Number(await bars.getAttribute('data-bar-count'))).toBeGreaterThan(1);
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/generation-panel.png` });
});

test('stop ends a long generation early', async () => {
  await page.getByTestId('generate-token-count').fill('2000');
  await page.getByTestId('generate-start').click();
  await expect.poll(async () => ((await page.getByTestId('generate-text').textContent()) ?? '').length).toBeGreaterThan(0);
  await page.getByTestId('generate-stop').click();

  await expect(page.getByTestId('generate-start')).toBeEnabled({ timeout: 30_000 });
  const text = (await page.getByTestId('generate-text').textContent()) ?? '';
  expect(text.length).toBeLessThan(2000);
  await expect(page.getByTestId('generate-error')).toHaveCount(0);
});

test('empty prompt disables Generate', async () => {
  await page.getByTestId('generate-prompt').fill('');
  await expect(page.getByTestId('generate-prompt-error')).toContainText('Prompt is empty');
  await expect(page.getByTestId('generate-start')).toBeDisabled();
  await page.getByTestId('generate-prompt').fill('The ');
});

test('prompt outside the vocabulary names the character', async () => {
  await page.getByTestId('generate-prompt').fill('日本');
  await page.getByTestId('generate-start').click();
  await expect(page.getByTestId('generate-error')).toContainText('日');
});

test('text file with empty path disables Train', async () => {
  await page.getByTestId('run-dataset').selectOption('text-file');
  await expect(page.getByTestId('run-text-path-error')).toContainText('empty');
  await expect(page.getByTestId('run-train')).toBeDisabled();
});

test('binary text file is reported at the path', async () => {
  const binaryPath = join(textFolder, 'image.bin');
  await writeFile(binaryPath, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
  await page.getByTestId('run-text-path').fill(binaryPath);
  await page.getByTestId('run-text-path').press('Enter');
  await expect(page.getByTestId('run-text-path-error')).toHaveCount(0);

  await page.getByTestId('run-train').click();
  const error = page.getByTestId('run-text-error');
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(error).toContainText('image.bin');
  await expect(error).toContainText('binary');
});

test('text shorter than the context names the node', async () => {
  const shortPath = join(textFolder, 'short.txt');
  await writeFile(shortPath, 'hello world', 'utf8');
  await page.getByTestId('run-text-path').fill(shortPath);
  await page.getByTestId('run-text-path').press('Enter');

  await page.getByTestId('run-train').click();
  const error = page.getByTestId('run-text-error');
  await expect(error).toContainText('short.txt', { timeout: 30_000 });
  await expect(error).toContainText('tokeninput1');
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/text-dataset-error.png` });
});

test('dragged template is one undo step', async () => {
  await page.getByTestId('palette-template-transformer-block').dragTo(page.getByTestId('canvas'), { targetPosition: { x: 300, y: 80 } });
  for (const suffix of ['ln1', 'attn', 'add1', 'ln2', 'ff', 'add2']) {
    await expect(node(page, `block2_${suffix}`)).toBeVisible();
  }
  // Dropped without a selected node before it, the template is not wired in, so its inputs are reported.
  await expect(page.getByTestId('issue-count')).not.toHaveText('0');

  await page.getByTestId('undo').click();
  await expect(page.locator('[data-testid^="node-block2_"]')).toHaveCount(0);
  await expect(page.getByTestId('issue-count')).toHaveText('0');
});
