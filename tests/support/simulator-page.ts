import type { Browser, Page } from 'puppeteer';

/** Drives the sandbox EHR simulator page in Chromium, as a clinician would. */
export interface SimulatorChoice {
  patient: string;
  vendor?: 'generic' | 'epic' | 'oracle';
  banner?: string;
  embed?: boolean;
  writeFault?: string;
  /** A simulated fault of the launch (`refresh_refused`, `invalid_client`…). */
  error?: string;
  /** The sandbox user who launches (default: the physician). */
  user?: string;
}

export async function openSimulator(browser: Browser, sandboxUrl: string, choice: SimulatorChoice, onPage?: (page: Page) => void): Promise<Page> {
  const page = await browser.newPage();
  onPage?.(page);
  await page.goto(`${sandboxUrl}/`);
  await page.select('select[name="patient"]', choice.patient);
  if (choice.vendor !== undefined) {
    await page.select('select[name="vendor"]', choice.vendor);
  }
  if (choice.banner !== undefined) {
    await page.select('select[name="banner"]', choice.banner);
  }
  if (choice.error !== undefined) {
    await page.select('select[name="error"]', choice.error);
  }
  if (choice.user !== undefined) {
    await page.select('select[name="user"]', choice.user);
  }
  if (choice.writeFault !== undefined) {
    await page.select('select[name="writeFault"]', choice.writeFault);
  }
  if (choice.embed === true) {
    await page.click('input[name="embed"]');
  }
  return page;
}

/** Clicks "Launch ITDD Consent"; the app opens in a new window, as an EHR activity would, and shows its chart tab. */
export async function launchInNewWindow(browser: Browser, sandboxUrl: string, choice: SimulatorChoice, onPage?: (page: Page) => void): Promise<Page> {
  const simulator = await openSimulator(browser, sandboxUrl, choice, onPage);
  const opened = browser.waitForTarget((t) => t.opener() === simulator.target());
  await simulator.click('#launch');
  const page = (await (await opened).page()) as Page;
  onPage?.(page);
  await page.waitForSelector('[data-section="conditions"], [data-section="banner"]', { timeout: 20_000 });
  await simulator.close();
  return page;
}
