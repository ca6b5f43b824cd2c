import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the real app in web mode: a global setup starts
 * `node out/main/web.js` on a free port of 127.0.0.1 (build first, as `npm test`
 * does) and hands its tokenised URL to the tests. They run in Debian's Chromium,
 * because Playwright's own browser download is not available offline.
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/globalSetup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1600, height: 1000 },
    launchOptions: {
      executablePath: process.env.TENSORLOOM_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
