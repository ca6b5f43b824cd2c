/** Bad input in the UI: each mistake is reported where it happens and nothing bad gets applied. */

import { expect, test } from '@playwright/test';
import { node, openApp, selectNode, takePageErrors } from './app';

test.afterEach(({ page }) => {
  expect(takePageErrors(page)).toEqual([]);
});

test.beforeEach(async ({ page }) => {
  await openApp(page);
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'fc3')).toBeVisible();
  await expect(page.getByTestId('issue-count')).toHaveText('0');
});

test('shape mismatch puts a badge on the node', async ({ page }) => {
  await selectNode(page, 'fc3');
  await page.getByTestId('param-fc3-units').fill('7');

  const badge = page.getByTestId('node-issue-badge-loss');
  await expect(badge).toBeVisible();
  await expect(badge).toHaveAttribute('title', /7/);
  await expect(page.getByTestId('issue-count')).not.toHaveText('0');
  await expect(page.getByTestId('run-train')).toBeDisabled();

  await page.getByTestId('issue-item').first().click();
  await expect(page.getByTestId('inspector-node-id')).toHaveText('loss');
  await expect(page.getByTestId('inspector-issues')).toBeVisible();
});

test('out-of-range parameter shows a field error', async ({ page }) => {
  await selectNode(page, 'fc1');
  await page.getByTestId('param-fc1-units').fill('5000');

  await expect(page.getByTestId('param-fc1-units-error')).toContainText('5000');
  await expect(page.getByTestId('param-fc1-units-error')).toContainText('4096');
  await expect(node(page, 'fc1')).toContainText('units 128');
});

test('zero batch size disables Train', async ({ page }) => {
  await expect(page.getByTestId('run-train')).toBeEnabled();
  await page.getByTestId('run-batch-size').fill('0');

  await expect(page.getByTestId('run-batch-size-error')).toContainText('Batch size');
  await expect(page.getByTestId('run-batch-size-error')).toContainText('got 0');
  await expect(page.getByTestId('run-train')).toBeDisabled();
  await expect(page.getByTestId('run-blocked-reason')).toBeVisible();

  await page.getByTestId('run-batch-size').fill('64');
  await expect(page.getByTestId('run-train')).toBeEnabled();
});

test('non-numeric learning rate disables Train', async ({ page }) => {
  await page.getByTestId('run-learning-rate').fill('fast');

  await expect(page.getByTestId('run-learning-rate-error')).toContainText('"fast"');
  await expect(page.getByTestId('run-train')).toBeDisabled();
});

test('connecting two outputs is rejected with a reason', async ({ page }) => {
  await page.getByTestId('handle-fc1-out-output').dragTo(page.getByTestId('handle-relu1-out-output'));
  await expect(page.getByTestId('canvas-notice')).toContainText('two outputs');
  await expect(page.locator('.svelte-flow__edge')).toHaveCount(7);
});

test('malformed project file keeps the current graph', async ({ page }) => {
  const broken = {
    format: 'tensorloom-project',
    version: 1,
    name: 'broken',
    graph: { nodes: [], edges: [] },
    dataset: { id: 'mnist' },
    training: { epochs: 1, batchSize: 0, learningRate: 'fast', optimizer: 'adam', momentum: 0.9, seed: 1 },
  };
  await page.getByTestId('project-file-input').setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(broken)),
  });

  const dialog = page.getByTestId('open-issues-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('broken.json');
  await expect(dialog).toContainText('training.batchSize');
  await expect(dialog).toContainText('training.learningRate');

  await page.getByTestId('open-issues-close').click();
  await expect(dialog).toHaveCount(0);
  await expect(node(page, 'fc1')).toBeVisible();
  await expect(page.getByTestId('project-name')).not.toHaveValue('broken');
});

test('invalid JSON file reports its position', async ({ page }) => {
  await page.getByTestId('project-file-input').setInputFiles({
    name: 'truncated.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"format": "tensorloom-project", "version": 1, "graph": {'),
  });

  await expect(page.getByTestId('open-issue').first()).toBeVisible();
  await expect(node(page, 'fc1')).toBeVisible();
});
