/**
 * Export and Import weights in web mode. Each format downloads through the
 * browser and the test reads the file back. Weights that do not fit the graph
 * are listed tensor by tensor.
 */

import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { node, openApp, takePageErrors } from './app';
import { readSafetensors, writeZeroSafetensors } from './safetensors';

/** Where the screenshots of the new dialogs go; test-results/ is ignored by git. */
const SCREENSHOT_FOLDER = 'test-results/screenshots';

/** Exports the open project in `format` with the given weights source and returns the downloaded bytes and file name. */
async function exportAs(page: Page, format: string, weights?: string): Promise<{ fileName: string; bytes: Buffer }> {
  await page.getByTestId('export-open').click();
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await page.getByTestId('export-format').selectOption(format);
  if (weights !== undefined) await page.getByTestId(`export-weights-${weights}`).check();

  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-run').click();
  const download = await downloadPromise;
  const bytes = await readFile(await download.path());

  await expect(page.getByTestId('export-location')).toHaveText(download.suggestedFilename());
  await expect(page.getByTestId('export-error')).toHaveCount(0);
  await page.getByTestId('export-close').click();
  await expect(dialog).toHaveCount(0);
  return { fileName: download.suggestedFilename(), bytes };
}

test.beforeEach(async ({ page }) => {
  await openApp(page);
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'fc1')).toBeVisible();
});

test.afterEach(({ page }) => {
  expect(takePageErrors(page)).toEqual([]);
});

test('config export downloads the project JSON', async ({ page }) => {
  const { fileName, bytes } = await exportAs(page, 'config');

  expect(fileName).toMatch(/\.json$/);
  const project = JSON.parse(bytes.toString('utf8')) as { format: string; graph: { nodes: { id: string }[] } };
  expect(project.format).toBe('tensorloom-project');
  expect(project.graph.nodes.map((graphNode) => graphNode.id)).toContain('fc1');
});

test('safetensors export has every parameter', async ({ page }) => {
  const { fileName, bytes } = await exportAs(page, 'safetensors', 'initial');

  expect(fileName).toMatch(/\.safetensors$/);
  const file = readSafetensors(bytes);
  expect(file.headerByteCount % 8).toBe(0);
  expect(Object.keys(file.tensors).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
  expect(file.tensors['fc1.weight'].shape).toEqual([128, 784]);
  expect(file.tensors['fc1.weight'].dtype).toBe('F32');
  const parameterCount = 128 * 784 + 128 + 64 * 128 + 64 + 10 * 64 + 10;
  expect(file.dataByteCount).toBe(4 * parameterCount);
});

test('untrained export warns about fresh weights', async ({ page }) => {
  await page.getByTestId('export-open').click();
  await page.getByTestId('export-format').selectOption('safetensors');
  await page.getByTestId('export-weights-latest').check();
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-run').click();
  await downloadPromise;

  await expect(page.getByTestId('export-outcome')).toBeVisible();
  await expect(page.getByTestId('export-warning').first()).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/export-dialog.png` });
});

test('checkpoint export without a run fails in the dialog', async ({ page }) => {
  await page.getByTestId('export-open').click();
  await page.getByTestId('export-format').selectOption('safetensors');
  await page.getByTestId('export-weights-checkpoint').check();
  await page.getByTestId('export-run').click();

  await expect(page.getByTestId('export-error')).toContainText('checkpoint');
  await expect(page.getByTestId('export-outcome')).toHaveCount(0);
  await expect(page.getByTestId('export-dialog')).toBeVisible();
});

test('ONNX export downloads a non-empty model', async ({ page }) => {
  const { fileName, bytes } = await exportAs(page, 'onnx', 'initial');

  expect(fileName).toMatch(/\.onnx$/);
  expect(bytes.length).toBeGreaterThan(4 * 128 * 784);
});

test('mismatching weights list each tensor', async ({ page }) => {
  const mismatching = writeZeroSafetensors({
    'fc1.weight': [64, 784],
    'fc1.bias': [128],
    'extra.weight': [3, 3],
  });
  await page.getByTestId('weights-file-input').setInputFiles({
    name: 'wrong.safetensors',
    mimeType: 'application/octet-stream',
    buffer: mismatching,
  });

  const dialog = page.getByTestId('import-failure-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('wrong.safetensors');
  const issues = page.getByTestId('import-issue');
  await expect(issues.filter({ hasText: 'fc1.weight' })).toHaveAttribute('data-problem', 'shape');
  await expect(issues.filter({ hasText: 'fc1.weight' })).toContainText('[128, 784]');
  await expect(issues.filter({ hasText: 'fc1.weight' })).toContainText('[64, 784]');
  await expect(issues.filter({ hasText: 'extra.weight' })).toHaveAttribute('data-problem', 'unexpected');
  await expect(issues.filter({ hasText: 'fc2.weight' })).toHaveAttribute('data-problem', 'missing');
  await expect(issues.filter({ hasText: 'fc1.bias' })).toHaveCount(0);
  await page.screenshot({ path: `${SCREENSHOT_FOLDER}/import-failure-dialog.png` });

  await page.getByTestId('import-failure-close').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('import-status')).toContainText('Import failed');
});

test('truncated weights file names the problem', async ({ page }) => {
  await page.getByTestId('weights-file-input').setInputFiles({
    name: 'short.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from([1, 2, 3]),
  });

  const dialog = page.getByTestId('import-failure-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('import-failure-message')).toContainText('short.safetensors');
  await expect(page.getByTestId('import-issue')).toHaveCount(0);
});

test('matching weights import without issues', async ({ page }) => {
  const { bytes } = await exportAs(page, 'safetensors', 'initial');
  await page.getByTestId('weights-file-input').setInputFiles({
    name: 'fresh.safetensors',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });

  await expect(page.getByTestId('import-status')).toContainText('Imported 6 tensors');
  await expect(page.getByTestId('import-failure-dialog')).toHaveCount(0);
});

test('imported weights start a run', async ({ page }) => {
  const { bytes } = await exportAs(page, 'safetensors', 'initial');
  await page.getByTestId('weights-file-input').setInputFiles({
    name: 'fresh.safetensors',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await expect(page.getByTestId('import-status')).toContainText('Imported 6 tensors');

  await page.getByTestId('run-train-limit').fill('256');
  await page.getByTestId('run-test-limit').fill('64');
  await page.getByTestId('run-from-saved-weights').check();
  await page.getByTestId('run-step').click();

  await expect(page.getByTestId('run-state')).toHaveText('paused', { ignoreCase: true });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await page.getByTestId('run-stop').click();
});
