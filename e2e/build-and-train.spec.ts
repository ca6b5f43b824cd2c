/**
 * Builds the MNIST MLP from an empty canvas by drag and drop, trains it on a
 * subset in the real device process, then inspects its activations. The tests
 * share one page and run in order, because the later ones look at the trained run.
 */

import { expect, test, type Page } from '@playwright/test';
import { connectPorts, dropNode, node, openApp, selectNode, setRunField, stopLeftoverRun, takePageErrors } from './app';

test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openApp(page);
});

test.afterEach(() => {
  expect(takePageErrors(page)).toEqual([]);
});

test.afterAll(async () => {
  await stopLeftoverRun(page);
  await page.close();
});

test('MNIST MLP built by drag and drop validates', async () => {
  await expect(page.getByTestId('canvas-empty-hint')).toBeVisible();

  await dropNode(page, 'Input', { x: 60, y: 60 });
  await dropNode(page, 'Dense', { x: 300, y: 40 });
  await dropNode(page, 'ReLU', { x: 540, y: 40 });
  await dropNode(page, 'Dense', { x: 780, y: 40 });
  await dropNode(page, 'ReLU', { x: 60, y: 300 });
  await dropNode(page, 'Dense', { x: 300, y: 300 });
  await dropNode(page, 'Loss', { x: 600, y: 300 });

  for (const nodeId of ['input1', 'dense1', 'relu1', 'dense2', 'relu2', 'dense3', 'loss1']) {
    await expect(node(page, nodeId)).toBeVisible();
  }

  for (const [nodeId, units] of [
    ['dense1', '128'],
    ['dense2', '64'],
    ['dense3', '10'],
  ]) {
    await selectNode(page, nodeId);
    await page.getByTestId(`param-${nodeId}-units`).fill(units);
    await expect(node(page, nodeId)).toContainText(`units ${units}`);
  }
  // Leave loss1 selected: the device reports the selected node's activations while training.
  await selectNode(page, 'loss1');
  await expect(page.getByTestId('param-loss1-kind')).toHaveValue('cross-entropy');

  await connectPorts(page, ['input1', 'features'], ['dense1', 'input']);
  await connectPorts(page, ['dense1', 'output'], ['relu1', 'input']);
  await connectPorts(page, ['relu1', 'output'], ['dense2', 'input']);
  await connectPorts(page, ['dense2', 'output'], ['relu2', 'input']);
  await connectPorts(page, ['relu2', 'output'], ['dense3', 'input']);
  await connectPorts(page, ['dense3', 'output'], ['loss1', 'prediction']);
  await connectPorts(page, ['input1', 'labels'], ['loss1', 'target']);

  const edgeLabels = page.locator('.svelte-flow__edge-label');
  await expect(edgeLabels).toHaveCount(7);
  await expect(edgeLabels.filter({ hasText: '[B, 784]' })).toHaveCount(1);
  await expect(edgeLabels.filter({ hasText: '[B, 128]' })).toHaveCount(2);
  await expect(edgeLabels.filter({ hasText: '[B, 10]' })).toHaveCount(1);
  await expect(page.getByTestId('issue-count')).toHaveText('0');
  await expect(page.getByTestId('no-issues')).toBeVisible();
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();
});

test('training on a subset beats chance by far', async () => {
  await setRunField(page, 'run-train-limit', '2000');
  await setRunField(page, 'run-test-limit', '500');
  await setRunField(page, 'run-epochs', '1');
  await setRunField(page, 'run-batch-size', '32');
  await setRunField(page, 'run-learning-rate', '0.002');

  const train = page.getByTestId('run-train');
  await expect(train).toBeEnabled();
  await train.click();

  const chart = page.getByTestId('metrics-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-step-points')), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('run-state')).toHaveText('completed', { timeout: 90_000 });
  await expect(chart).toHaveAttribute('data-epoch-points', '1');

  const accuracy = Number(await page.getByTestId('accuracy-readout').getAttribute('data-accuracy'));
  expect(accuracy).toBeGreaterThan(0.7);
  await expect(page.getByTestId('accuracy-readout')).toContainText('%');
  await expect(page.getByTestId('run-error')).toHaveCount(0);
});

test('activation view shows the probed node after training', async () => {
  // loss1 was selected while training, so the device reported it up to the end of the run.
  await expect(page.getByTestId('inspector-node-id')).toHaveText('loss1');
  const bars = page.getByTestId('activation-probabilities');
  await expect(bars).toBeVisible({ timeout: 20_000 });
  await expect(bars).toHaveAttribute('data-bar-count', '10');
  await expect(page.getByTestId('activation-step')).toContainText('run ended');
});

test('activation view draws each node while stepping', async () => {
  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 30_000 });

  await selectNode(page, 'input1');
  const image = page.getByTestId('activation-image');
  await expect(image).toBeVisible({ timeout: 20_000 });
  await expect(image).toHaveAttribute('width', '28');

  await selectNode(page, 'loss1');
  const bars = page.getByTestId('activation-probabilities');
  await expect(bars).toBeVisible({ timeout: 20_000 });
  await expect(bars).toHaveAttribute('data-bar-count', '10');

  await page.getByTestId('sample-next').click();
  await expect(page.getByTestId('sample-index')).toHaveValue('1');
  await expect(page.getByTestId('activation-content')).toBeVisible({ timeout: 20_000 });

  await selectNode(page, 'dense1');
  await expect(page.getByTestId('activation-heatmap')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('weight-histogram')).toBeVisible();

  await page.getByTestId('run-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped', { timeout: 30_000 });
});
