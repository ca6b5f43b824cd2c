/** Helpers that drive the Tensorloom UI the way a user does: drag, click, type. */

import { expect, type Locator, type Page } from '@playwright/test';

export function appUrl(): string {
  const url = process.env.TENSORLOOM_E2E_URL;
  if (url === undefined) throw new Error('TENSORLOOM_E2E_URL is not set: run the tests through playwright.config.ts, whose global setup starts web mode.');
  return url;
}

/** Uncaught exceptions of each page opened with `openApp`. A view that throws while rendering leaves stale content behind. */
const pageErrors = new WeakMap<Page, string[]>();

/** Returns the uncaught exceptions the page threw since the last call, and clears the list. */
export function takePageErrors(page: Page): string[] {
  return (pageErrors.get(page) ?? []).splice(0);
}

/** Opens the app and waits until it is connected to the web-mode server. */
export async function openApp(page: Page): Promise<void> {
  if (!pageErrors.has(page)) {
    const errors: string[] = [];
    pageErrors.set(page, errors);
    page.on('pageerror', (error) => errors.push(error.message));
  }
  await page.goto(appUrl());
  await expect(page.getByTestId('canvas')).toBeVisible();
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
}

/** Drags a node type from the palette onto the canvas at `position` (pixels from the canvas's top left). */
export async function dropNode(page: Page, type: string, position: { x: number; y: number }): Promise<void> {
  await page.getByTestId(`palette-item-${type}`).dragTo(page.getByTestId('canvas'), { targetPosition: position });
}

export function node(page: Page, nodeId: string): Locator {
  return page.getByTestId(`node-${nodeId}`);
}

export async function selectNode(page: Page, nodeId: string): Promise<void> {
  await node(page, nodeId).locator('header').click();
  await expect(page.getByTestId('inspector-node-id')).toHaveText(nodeId);
}

/** Drags from an output handle to an input handle, as a user wires two ports. */
export async function connectPorts(page: Page, from: [string, string], to: [string, string]): Promise<void> {
  const source = page.getByTestId(`handle-${from[0]}-out-${from[1]}`);
  const target = page.getByTestId(`handle-${to[0]}-in-${to[1]}`);
  await source.dragTo(target);
}

/** Sets a run setting field and checks it took the value without an error. */
export async function setRunField(page: Page, testId: string, value: string): Promise<void> {
  const field = page.getByTestId(testId);
  await field.fill(value);
  await field.blur();
  await expect(page.getByTestId(`${testId}-error`)).toHaveCount(0);
}

/**
 * Stops a run left going by a failed test. The web-mode server has one trainer
 * shared by every page, so a leftover run would keep Train disabled in later tests.
 */
export async function stopLeftoverRun(page: Page): Promise<void> {
  if (page.isClosed()) return;
  const stop = page.getByTestId('run-stop');
  if ((await stop.count()) === 0 || !(await stop.isEnabled())) return;
  await stop.click();
  await expect(page.getByTestId('run-state')).not.toHaveText(/running|paused|stopping|starting/, { timeout: 30_000 });
}
