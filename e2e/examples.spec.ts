/** The bundled examples open from the toolbar, and the character transformer steps and shows both layers' attention. */

import { expect, test } from '@playwright/test';
import { node, openApp, stopLeftoverRun, takePageErrors } from './app';

test.afterEach(async ({ page }) => {
  await stopLeftoverRun(page);
  expect(takePageErrors(page)).toEqual([]);
});

test('character transformer example steps once', async ({ page }) => {
  await openApp(page);

  await page.getByTestId('project-example').selectOption({ label: 'Char transformer' });
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'block2')).toBeVisible();
  await expect(page.getByTestId('run-dataset')).toHaveValue('brown');
  await expect(page.getByTestId('issue-count')).toHaveText('0');

  await page.getByTestId('view-tab-attention').click();
  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('attention-heatmap')).toHaveAttribute('data-masked-max', '0', { timeout: 20_000 });
  await expect(page.getByTestId('attention-layer').locator('option')).toHaveCount(2);

  // The heads listed on the second block select its layer in the view.
  await page.getByTestId('node-heads-toggle-block2').click();
  await page.getByTestId('node-head-block2-3').click();
  await expect(page.getByTestId('attention-layer')).toHaveValue('1');
  await expect(page.getByTestId('attention-head')).toHaveValue('3');
  await page.screenshot({ path: 'test-results/screenshots/char-transformer-attention.png' });

  await page.getByTestId('run-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped', { timeout: 30_000 });
});
