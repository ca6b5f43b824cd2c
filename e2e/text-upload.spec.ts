/** A user's own text file, uploaded from the browser, becomes the text dataset, and a binary file is rejected at the field. */

import { expect, test, type Page } from '@playwright/test';
import { openApp, stopLeftoverRun, takePageErrors } from './app';

test.afterEach(async ({ page }) => {
  await stopLeftoverRun(page);
  expect(takePageErrors(page)).toEqual([]);
});

/** Clicks Choose file… and picks a file in the browser's file chooser, as a user does. */
async function chooseFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('run-text-choose').click();
  await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: bytes });
}

test('uploaded text file trains and binary file is rejected', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('project-example').selectOption({ label: 'Char transformer' });
  await page.getByTestId('project-open-example').click();
  await page.getByTestId('run-dataset').selectOption('text-file');
  await expect(page.getByTestId('run-text-path-error')).toContainText('empty');

  // A line with accented letters and a non-Latin word, repeated past the context length.
  const line = 'Größe matters: naïve café owners sell crème brûlée — 東京 too.\n';
  const text = line.repeat(40);
  await chooseFile(page, 'my corpus.txt', Buffer.from(text, 'utf8'));
  await expect(page.getByTestId('run-text-choose-notice')).toHaveText(`Uploaded my corpus.txt: ${[...text].length.toLocaleString('en-US')} characters.`);
  await expect(page.getByTestId('run-text-path')).toHaveValue(/my-corpus\.txt$/);
  await expect(page.getByTestId('run-text-path-error')).toHaveCount(0);

  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await page.getByTestId('run-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped', { timeout: 30_000 });

  const uploadedPath = await page.getByTestId('run-text-path').inputValue();
  await chooseFile(page, 'photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  const error = page.getByTestId('run-text-choose-error');
  await expect(error).toContainText('Could not use photo.png as a text dataset');
  await expect(error).toContainText('binary');
  // The rejected file leaves the path of the last good upload in place.
  await expect(page.getByTestId('run-text-path')).toHaveValue(uploadedPath);
  await page.getByTestId('run-settings').screenshot({ path: 'test-results/screenshots/text-upload-binary-error.png' });
});
