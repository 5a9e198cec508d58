import type { Browser } from 'puppeteer';
import { launchBrowser } from './browser';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

/**
 * Registers the usual end-to-end setup for a test file: the whole system and one Chromium, started before the
 * tests and stopped after them. `use` receives both once they are up.
 */
export function withSystemAndBrowser(use: (system: TestSystem, browser: Browser) => void): void {
  let running: { system: TestSystem; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    const system = await startTestSystem();
    const chromium = await launchBrowser();
    running = { system, close: async () => { await chromium.close(); await system.close(); } };
    use(system, chromium.browser);
  });
  afterAll(async () => {
    await running?.close();
  });
}
