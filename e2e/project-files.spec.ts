/** New, Open, Save and the unsaved-changes guard in web mode, with real uploads and downloads. */

import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { appUrl, node, openApp, selectNode, takePageErrors } from './app';

test.afterEach(({ page }) => {
  expect(takePageErrors(page)).toEqual([]);
});

test.beforeEach(async ({ page }) => {
  await openApp(page);
});

test('save downloads the project as JSON', async ({ page }) => {
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'fc1')).toBeVisible();
  await page.getByTestId('project-name').fill('Digits net');
  await page.getByTestId('project-name').press('Enter');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();
  await expect(page).toHaveTitle(/^● Digits net/);

  const downloadPromise = page.waitForEvent('download');
  await page.keyboard.press('Control+s');
  const download = await downloadPromise;

  expect(download.suggestedFilename()).toBe('Digits net.json');
  const saved = JSON.parse(await readFile(await download.path(), 'utf8')) as { name: string; graph: { nodes: unknown[] } };
  expect(saved.name).toBe('Digits net');
  expect(saved.graph.nodes).toHaveLength(7);
  await expect(page.getByTestId('unsaved-marker')).toHaveCount(0);
  await expect(page).toHaveTitle(/^Digits net/);
});

test('open replaces the project with the uploaded file', async ({ page }) => {
  const example = await readFile('resources/examples/xor-mlp.json');
  await page.getByTestId('project-file-input').setInputFiles({ name: 'xor-mlp.json', mimeType: 'application/json', buffer: example });

  await expect(page.getByTestId('file-status')).toContainText('Opened xor-mlp.json');
  await expect(page.getByTestId('run-dataset')).toHaveValue('xor');
  await expect(page.getByTestId('issue-count')).toHaveText('0');
  await expect(page.getByTestId('unsaved-marker')).toHaveCount(0);
});

test('new asks before discarding unsaved changes', async ({ page }) => {
  await page.getByTestId('project-open-example').click();
  await selectNode(page, 'fc1');
  await page.getByTestId('param-fc1-units').fill('32');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();

  await page.getByTestId('project-new').click();
  await expect(page.getByTestId('confirm-dialog')).toBeVisible();
  await page.getByTestId('confirm-cancel').click();
  await expect(node(page, 'fc1')).toContainText('units 32');

  await page.getByTestId('project-new').click();
  await page.getByTestId('confirm-accept').click();
  await expect(page.getByTestId('canvas-empty-hint')).toBeVisible();
  await expect(page.getByTestId('project-name')).toHaveValue('Untitled');
});

test('wrong token shows a connection error', async ({ page }) => {
  const url = new URL(appUrl());
  url.searchParams.set('token', 'not-the-token');
  await page.goto(url.toString());

  await expect(page.getByTestId('connection-banner')).toContainText('token');
  await expect(page.getByTestId('run-train')).toBeDisabled();
});
