/** Editing the graph on the canvas: adding, selecting and deleting nodes, undo and redo, and rejected connections. */

import { expect, test } from '@playwright/test';
import { node, openApp, selectNode, takePageErrors } from './app';

test.afterEach(({ page }) => {
  expect(takePageErrors(page)).toEqual([]);
});

test.beforeEach(async ({ page }) => {
  await openApp(page);
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'relu1')).toBeVisible();
});

test('delete key removes a node and undo restores it', async ({ page }) => {
  await selectNode(page, 'relu1');
  await page.keyboard.press('Delete');

  await expect(node(page, 'relu1')).toHaveCount(0);
  await expect(page.locator('.svelte-flow__edge')).toHaveCount(5);
  await expect(page.getByTestId('node-issue-badge-fc2')).toBeVisible();

  await page.keyboard.press('Control+z');
  await expect(node(page, 'relu1')).toBeVisible();
  await expect(page.locator('.svelte-flow__edge')).toHaveCount(7);
  await expect(page.getByTestId('issue-count')).toHaveText('0');

  await page.keyboard.press('Control+Shift+z');
  await expect(node(page, 'relu1')).toHaveCount(0);
});

test('delete button removes the selected nodes', async ({ page }) => {
  await selectNode(page, 'relu2');
  await page.getByTestId('delete-selection').click();

  await expect(node(page, 'relu2')).toHaveCount(0);
  await expect(page.getByTestId('delete-selection')).toBeDisabled();
});

test('node cannot connect to itself', async ({ page }) => {
  await page.getByTestId('handle-fc2-out-output').dragTo(page.getByTestId('handle-fc2-in-input'));

  await expect(page.getByTestId('canvas-notice')).toContainText('itself');
  await expect(page.locator('.svelte-flow__edge')).toHaveCount(7);
});

test('palette double-click adds a node', async ({ page }) => {
  await page.getByTestId('palette-item-Tanh').dblclick();

  await expect(node(page, 'tanh1')).toBeVisible();
  await expect(page.getByTestId('inspector-node-id')).toHaveText('tanh1');
  await expect(page.getByTestId('node-issue-badge-tanh1')).toBeVisible();
});

test('undo reverts a typed value in one step', async ({ page }) => {
  await selectNode(page, 'fc1');
  const units = page.getByTestId('param-fc1-units');
  await units.fill('');
  await units.pressSequentially('256');
  await expect(node(page, 'fc1')).toContainText('units 256');

  await page.getByTestId('canvas').click({ position: { x: 40, y: 400 } });
  await page.keyboard.press('Control+z');
  await expect(node(page, 'fc1')).toContainText('units 128');
  await expect(page.getByTestId('undo')).toBeDisabled();
});

test('shift-drag box selects several nodes', async ({ page }) => {
  const first = await node(page, 'relu1').boundingBox();
  const last = await node(page, 'fc2').boundingBox();
  if (first === null || last === null) throw new Error('relu1 or fc2 has no bounding box on the canvas');

  await page.keyboard.down('Shift');
  await page.mouse.move(first.x - 15, first.y - 40);
  await page.mouse.down();
  await page.mouse.move((first.x + last.x) / 2, last.y + last.height / 2, { steps: 5 });
  await page.mouse.move(last.x + last.width + 15, last.y + last.height + 40, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');

  await expect(page.getByTestId('inspector')).toContainText('2 nodes selected');
  await page.getByTestId('delete-selection').click();
  await expect(node(page, 'relu1')).toHaveCount(0);
  await expect(node(page, 'fc2')).toHaveCount(0);
  await expect(node(page, 'fc1')).toBeVisible();
});
