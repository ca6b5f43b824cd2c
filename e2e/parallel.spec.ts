/**
 * Parallel plans in the browser: a data-parallel run fills the Devices view, a
 * tensor-parallel group built by dragging shows each layer's sharding and the
 * errors of a bad override, and the tensor-parallel example matches one device.
 */

import { expect, test, type Page } from '@playwright/test';
import { connectPorts, dropNode, node, openApp, selectNode, setRunField, stopLeftoverRun, takePageErrors } from './app';

const SCREENSHOTS = 'test-results/screenshots';

test.afterEach(async ({ page }) => {
  await stopLeftoverRun(page);
  expect(takePageErrors(page)).toEqual([]);
});

async function openExample(page: Page, label: string): Promise<void> {
  await page.getByTestId('project-example').selectOption({ label });
  await page.getByTestId('project-open-example').click();
  await expect(page.getByTestId('issue-count')).toHaveText('0');
}

/** Drags a node by its header, in steps as a hand does, to `offset` pixels from the top left of `target`. */
async function dragNodeTo(page: Page, nodeId: string, target: string, offset: { x: number; y: number }): Promise<void> {
  const header = await node(page, nodeId).locator('header').boundingBox();
  const area = await page.getByTestId(target).boundingBox();
  if (header === null || area === null) throw new Error(`Node "${nodeId}" or "${target}" is not on screen, so it cannot be dragged.`);
  await page.mouse.move(header.x + 20, header.y + header.height / 2);
  await page.mouse.down();
  await page.mouse.move(area.x + offset.x, area.y + offset.y, { steps: 8 });
  await page.mouse.up();
}

test('data-parallel run fills the Devices view', async ({ page }) => {
  await openApp(page);
  await openExample(page, 'MNIST MLP, data parallel 2');
  await expect(page.getByTestId('mesh-summary-mesh')).toHaveText('2 devices · data 2 × tensor 1');
  await expect(page.getByTestId('device-legend')).toContainText('2 devices');

  await setRunField(page, 'run-train-limit', '256');
  await setRunField(page, 'run-test-limit', '64');
  await setRunField(page, 'run-epochs', '1');
  await page.getByTestId('run-train').click();
  await expect(page.getByTestId('run-state')).toHaveText('completed', { timeout: 60_000 });

  await page.getByTestId('view-tab-devices').click();
  await expect(page.getByTestId('devices-plan')).toHaveText('Plan: data 2 × tensor 1');
  await expect(page.getByTestId('devices-row-0')).toBeVisible();
  await expect(page.getByTestId('devices-row-1')).toBeVisible();
  await expect(page.getByTestId('devices-row-2')).toHaveCount(0);
  // Data parallelism all-reduces the gradients once per parameter tensor, and never gathers.
  await expect(page.getByTestId('devices-cell-0-all-reduce')).toContainText('×');
  await expect(page.getByTestId('devices-cell-0-all-gather')).toHaveText('–');
  await expect(page.getByTestId('devices-memory-chart')).toBeVisible();
  await expect.poll(async () => Number(await page.getByTestId('devices-timeline').getAttribute('data-span-count'))).toBeGreaterThan(2);

  // A slower link takes longer, and a bad bandwidth is reported on its field.
  const stepMs = async (): Promise<number> => Number(await page.getByTestId('devices-link-step-ms').getAttribute('data-step-ms'));
  const nvlinkMs = await stepMs();
  expect(nvlinkMs).toBeGreaterThan(0);
  await page.getByTestId('devices-link-preset').selectOption('ethernet100g');
  await expect(page.getByTestId('devices-link-bandwidth')).toHaveValue('11');
  await expect.poll(stepMs).toBeGreaterThan(nvlinkMs);
  await page.getByTestId('devices-link-bandwidth').fill('0');
  await expect(page.getByTestId('devices-link-bandwidth-error')).toContainText('Bandwidth (GB/s) must be a number above 0');
  await page.getByTestId('devices-link-bandwidth').fill('0.01');
  await expect(page.getByTestId('devices-link-bandwidth-error')).toHaveCount(0);
  // At 10 MB/s the gradient all-reduce alone takes milliseconds.
  await expect.poll(stepMs).toBeGreaterThan(nvlinkMs + 1);

  // The timeline can show the same step laid out on the chosen link.
  const spanCount = async (): Promise<number> => Number(await page.getByTestId('devices-timeline').getAttribute('data-span-count'));
  const measuredSpans = await spanCount();
  await page.getByTestId('devices-timeline-source').selectOption('estimated');
  await expect(page.getByTestId('devices-timeline').locator('..')).toContainText('estimated on the link below');
  await expect.poll(spanCount).toBe(measuredSpans);
  await page.screenshot({ path: `${SCREENSHOTS}/devices-data-parallel.png` });
});

test('tensor-parallel group shows sharding and override errors', async ({ page }) => {
  await openApp(page);
  await dropNode(page, 'DeviceMesh', { x: 80, y: 40 });
  await dropNode(page, 'TensorParallelGroup', { x: 80, y: 220 });
  await dropNode(page, 'Dense', { x: 640, y: 60 });
  await dropNode(page, 'Dense', { x: 880, y: 60 });
  await connectPorts(page, ['dense1', 'output'], ['dense2', 'input']);

  await selectNode(page, 'devicemesh1');
  await page.getByTestId('param-devicemesh1-tensorParallel').fill('2');
  await expect(page.getByTestId('mesh-summary-devicemesh1')).toHaveText('2 devices · data 1 × tensor 2');

  await dragNodeTo(page, 'dense1', 'node-tensorparallelgroup1', { x: 60, y: 70 });
  await dragNodeTo(page, 'dense2', 'node-tensorparallelgroup1', { x: 260, y: 70 });
  await expect(page.getByTestId('group-split-tensorparallelgroup1')).toHaveText('2 nodes over 2 tensor devices');
  await expect(page.getByTestId('sharding-badge-dense1')).toHaveText('column');
  await expect(page.getByTestId('sharding-badge-dense2')).toHaveText('row');
  await expect(page.getByTestId('device-parts-dense1')).toHaveAttribute('data-parts', '0,1');
  await page.getByTestId('canvas').screenshot({ path: `${SCREENSHOTS}/tensor-parallel-group.png` });

  // Only the kinds a Dense layer can take are offered.
  await selectNode(page, 'dense1');
  const select = page.getByTestId('inspector-sharding-select');
  await expect(select.locator('option')).toHaveText([/^Inferred/, /^Column/, /^Row/, /^Replicated/]);
  await select.selectOption('row');
  await expect(page.getByTestId('sharding-badge-dense1')).toHaveText('row');
  await expect(page.getByTestId('node-issue-badge-dense1')).toHaveAttribute('aria-label', /Row-parallel layer "dense1" has no preceding column-parallel layer/);
  await expect(page.getByTestId('inspector-sharding-error')).toContainText('no preceding column-parallel layer');
  await page.getByTestId('inspector-sharding').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/tensor-parallel-override-error.png` });

  await page.getByTestId('inspector-sharding-reset').click();
  await expect(page.getByTestId('sharding-badge-dense1')).toHaveText('column');
  await expect(page.getByTestId('inspector-sharding-error')).toHaveCount(0);
  await expect(page.getByTestId('node-issue-badge-dense1')).not.toHaveAttribute('aria-label', /Row-parallel/);

  // A batch that does not split over the data replicas is reported on the mesh node.
  await selectNode(page, 'devicemesh1');
  await page.getByTestId('param-devicemesh1-dataParallel').fill('3');
  await expect(page.getByTestId('node-issue-badge-devicemesh1')).toHaveAttribute('aria-label', /The batch of 64 samples is not divisible by dataParallel 3/);
  await page.getByTestId('param-devicemesh1-dataParallel').fill('1');
  await expect(page.getByTestId('node-issue-badge-devicemesh1')).toHaveCount(0);

  // A layer dragged out of the group is replicated again and loses its badge.
  await dragNodeTo(page, 'dense2', 'canvas', { x: 760, y: 60 });
  await expect(page.getByTestId('sharding-badge-dense2')).toHaveCount(0);
  await expect(page.getByTestId('group-split-tensorparallelgroup1')).toHaveText('1 node over 2 tensor devices');

  // Deleting the group keeps the layer that sat in it, now outside any group.
  await page.getByTestId('node-tensorparallelgroup1').locator('header').click();
  await page.keyboard.press('Delete');
  await expect(node(page, 'tensorparallelgroup1')).toHaveCount(0);
  await expect(node(page, 'dense1')).toBeVisible();
  await expect(page.getByTestId('sharding-badge-dense1')).toHaveCount(0);
  await expect(page.locator('.svelte-flow__edge')).toHaveCount(1);
});

test('tensor-parallel example passes the one-device check', async ({ page }) => {
  await openApp(page);
  // A graph without a device mesh has no plan to check, and the reason is shown beside the button.
  await openExample(page, 'MNIST MLP');
  await page.getByTestId('view-tab-devices').click();
  await page.getByTestId('parallel-check-run').click();
  await expect(page.getByTestId('parallel-check-error')).toContainText('no plan to check', { timeout: 30_000 });
  await expect(page.getByTestId('parallel-check-verdict')).toHaveCount(0);

  await openExample(page, 'MNIST MLP, tensor parallel 2');
  await expect(page.getByTestId('sharding-badge-fc1')).toHaveText('column');
  await expect(page.getByTestId('sharding-badge-fc2')).toHaveText('row');
  await expect(page.getByTestId('sharding-badge-relu1')).toHaveText('replicated');

  await page.getByTestId('view-tab-devices').click();
  await page.getByTestId('parallel-check-steps').fill('0');
  await expect(page.getByTestId('parallel-check-steps-error')).toContainText('Steps must be an integer from 1 to 1000');
  await expect(page.getByTestId('parallel-check-run')).toBeDisabled();
  await page.getByTestId('parallel-check-steps').fill('3');
  await page.getByTestId('parallel-check-run').click();

  const verdict = page.getByTestId('parallel-check-verdict');
  await expect(verdict).toContainText('Pass', { timeout: 60_000 });
  for (const testId of ['parallel-check-loss-absolute', 'parallel-check-parameter-absolute']) {
    const difference = Number(await page.getByTestId(testId).textContent());
    expect(difference).toBeLessThan(1e-5);
  }
  const rows = page.getByTestId('parallel-check-row');
  await expect(rows).toHaveCount(6);
  await page.getByTestId('parallel-check-sort-name').click();
  await expect(rows.first().locator('th')).toHaveText('fc1.bias');

  // The check's own step reports fill the tables of both tensor devices.
  await expect(page.getByTestId('devices-source')).toHaveValue('check');
  await expect(page.getByTestId('devices-row-1')).toBeVisible();
  await expect(page.getByTestId('devices-cell-0-all-reduce')).toContainText('×');
  await page.getByTestId('parallel-check').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/devices-parallel-check.png` });
});
