/** Pause, Resume and Stop drive a real run in the device process, and the buttons follow its state. */

import { expect, test } from '@playwright/test';
import { node, openApp, stopLeftoverRun, takePageErrors } from './app';

test.afterEach(async ({ page }) => {
  await stopLeftoverRun(page);
  expect(takePageErrors(page)).toEqual([]);
});

test('pause, resume and stop a run', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('project-open-example').click();
  await expect(node(page, 'fc1')).toBeVisible();

  // The full training split for 5 epochs runs long enough to pause it part way.
  await page.getByTestId('run-train').click();
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 30_000 });
  await expect(page.getByTestId('run-train')).toBeDisabled();
  const chart = page.getByTestId('metrics-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-step-points')), { timeout: 30_000 }).toBeGreaterThan(0);

  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByTestId('run-resume')).toBeEnabled();
  await expect(page.getByTestId('run-pause')).toBeDisabled();

  const progress = page.getByTestId('run-progress');
  const stepNumber = async (): Promise<number> => Number(/step (\d+)\//.exec((await progress.textContent()) ?? '')?.[1]);
  const pausedStep = await stepNumber();
  await page.getByTestId('run-step').click();
  // Step events are throttled, so the step shown at the pause may lag behind and then jump by more than one.
  await expect.poll(stepNumber).toBeGreaterThan(pausedStep);
  await expect(page.getByTestId('run-state')).toHaveText('paused');

  await page.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');

  await page.getByTestId('run-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped', { timeout: 30_000 });
  await expect(page.getByTestId('run-train')).toBeEnabled();
  await expect(page.getByTestId('run-error')).toHaveCount(0);
});
