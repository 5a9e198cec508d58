import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../support/browser';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

let system: TestSystem;
let browser: Browser;
let closeBrowser: () => Promise<void>;

beforeAll(async () => {
  system = await startTestSystem();
  ({ browser, close: closeBrowser } = await launchBrowser());
});
afterAll(async () => {
  await closeBrowser();
  await system.close();
});

async function launch(patient: string): Promise<Page> {
  const simulator = await browser.newPage();
  await simulator.goto(`${system.sandboxUrl}/`);
  await simulator.select('select[name="patient"]', patient);
  const opened = browser.waitForTarget((t) => t.opener() === simulator.target());
  await simulator.click('#launch');
  const page = (await (await opened).page()) as Page;
  page.on('console', (m) => console.log('console:', m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', String(e)));
  await page.waitForSelector('[data-section="banner"]', { timeout: 20_000 });
  return page;
}

async function mount(page: Page): Promise<void> {
  await page.addScriptTag({ url: '/assets/checklist-harness.js' });
  await page.waitForSelector('#checklist-status', { timeout: 20_000 });
}

test('checklist UI', async () => {
  const page = await launch('anticoagulant-patient');
  await mount(page);
  console.log('statement:', await page.$eval('.statement', (e) => e.textContent));
  console.log('save state:', await page.$eval('#checklist-save-state', (e) => e.textContent));
  await page.type('[data-item-id="facility-name"] textarea', 'Sandbox pain clinic');
  await page.waitForFunction(() => document.querySelector('#checklist-save-state')?.textContent === 'Saved', { timeout: 5000 });
  await page.click('#attest');
  await page.waitForSelector('#checklist-errors:not([hidden]) li');
  console.log('errors:', (await page.$eval('#checklist-errors', (e) => e.textContent))?.slice(0, 300));
  console.log('teach-back invalid:', await page.$eval('[data-item-id="teach-back"]', (e) => [e.className, e.querySelector('input')?.getAttribute('aria-invalid')]));
  console.log('interpreter-id hidden before:', await page.$eval('[data-item-id="interpreter-id"]', (e) => (e as HTMLElement).hidden));
  await page.click('[data-item-id="interpreter-used"] input[value="used"]');
  console.log('interpreter-id hidden after:', await page.$eval('[data-item-id="interpreter-id"]', (e) => (e as HTMLElement).hidden));
  await page.waitForFunction(() => document.querySelector('#checklist-save-state')?.textContent === 'Saved', { timeout: 5000 });
  await page.screenshot({ path: '/tmp/chk/missing.png', fullPage: true });
  await page.reload();
  await page.waitForSelector('[data-section="banner"]');
  await mount(page);
  console.log('after reload:', await page.$eval('[data-item-id="facility-name"] textarea', (e) => (e as HTMLTextAreaElement).value),
    await page.$eval('[data-item-id="interpreter-used"] input[value="used"]', (e) => (e as HTMLInputElement).checked));
  // complete everything
  await page.click('[data-item-id="interpreter-used"] input[value="not-needed"]');
  for (const box of await page.$$('[data-item-id]:not([hidden]) input[type="checkbox"]')) {
    await box.click();
  }
  for (const set of await page.$$('[data-item-id]:not([hidden]) fieldset.choice')) {
    const first = await set.$('input[type="radio"]');
    await first?.click();
  }
  for (const area of await page.$$('[data-item-id]:not([hidden]) textarea')) {
    const value = await area.evaluate((e) => (e as HTMLTextAreaElement).value);
    if (value === '') {
      await area.type('Recorded.');
    }
  }
  await page.click('[data-flag-id] [data-action="dismiss"]').catch(() => console.log('no flag dismiss'));
  await page.click('#attest');
  await page.waitForFunction(() => document.querySelector('#checklist-status')?.getAttribute('data-status') === 'attested', { timeout: 10000 }).catch(async () => {
    console.log('errors2:', await page.$eval('#checklist-errors', (e) => e.textContent));
  });
  console.log('status:', await page.$eval('#checklist-status', (e) => e.textContent));
  console.log('disabled inputs:', await page.$$eval('[data-item-id] input', (n) => n.filter((i) => (i as HTMLInputElement).disabled).length), 'of', await page.$$eval('[data-item-id] input', (n) => n.length));
  await page.screenshot({ path: '/tmp/chk/attested.png', fullPage: true });
});
