import { defineConfig } from '@playwright/test';

/**
 * The browser suite (`npm run test:browser`): Debian's chromium (Playwright's
 * own browser download cannot be fetched here), against a cluster of two
 * instances behind nginx that the suite starts itself (chat.browser-spec.ts).
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.browser-spec.ts',
  outputDir: '../../test-results/browser',
  // One cluster, one story told in order: a single worker.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    viewport: { width: 1200, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
