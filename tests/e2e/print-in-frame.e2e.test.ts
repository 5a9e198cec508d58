import type { Browser, Frame, Page } from 'puppeteer';
import { withSystemAndBrowser } from '../support/e2e-setup';
import { normalizeText, pdfText } from '../support/pdf-text';
import { seedFactsMissingFromPdf } from '../support/seed-facts';
import { servedHandoutOfSynthetic } from '../support/served-handout';
import { openSimulator } from '../support/simulator-page';
import type { TestSystem } from '../support/system';
import { syntheticEntry } from '../support/synthetic-patients';

/**
 * Printing where a clinic lives: the app inside the EHR's window (the sandbox's iframe mode, as Epic Hyperspace and
 * Oracle PowerChart embed apps), for every sandbox vendor tenant. The handout preview renders inside the EHR frame,
 * Print prints the preview document (regular and large print), and printing the app page itself (Ctrl+P) prints
 * the handout — the patient's name and every seed fact — and none of the app's controls.
 */
let system: TestSystem;
let browser: Browser;

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});

const PATIENT = 'anticoagulant-patient';
const PATIENT_NAME = 'Margaret Ann Ellison';
const VENDORS = ['generic', 'epic', 'oracle'] as const;

/** Launches inside the EHR frame and returns the EHR page and the app's frame, showing its chart tab. */
async function launchInFrame(vendor: (typeof VENDORS)[number]): Promise<{ ehr: Page; app: Frame }> {
  const ehr = await openSimulator(browser, system.sandboxUrl ?? '', { patient: PATIENT, vendor, embed: true });
  await Promise.all([ehr.waitForNavigation(), ehr.click('#launch')]);
  const handle = await ehr.waitForSelector('#app-frame');
  const app = (await handle?.contentFrame()) as Frame;
  await app.waitForSelector('[data-section="conditions"], [data-section="banner"]', { timeout: 20_000 });
  return { ehr, app };
}

/** The preview frame once its document for `url` has loaded (or the browser's error page, if it was refused). */
async function previewFrame(app: Frame, url: RegExp): Promise<Frame> {
  const handle = await app.waitForSelector('#handout-preview');
  await app.waitForFunction((pattern: string) => new RegExp(pattern).test(document.querySelector<HTMLIFrameElement>('#handout-preview')?.src ?? ''), {}, url.source);
  const frame = (await handle?.contentFrame()) as Frame;
  await frame.waitForFunction(
    (pattern: string) => document.readyState === 'complete' && (new RegExp(pattern).test(location.href) || location.protocol === 'chrome-error:'),
    { timeout: 15_000 },
    url.source,
  );
  return frame;
}

/** What a reader gets out of a page printed as PDF with the print stylesheet (US Letter). */
async function printedText(page: Page): Promise<string> {
  await page.emulateMediaType('print');
  const pdf = Buffer.from(await page.pdf({ format: 'letter', preferCSSPageSize: true }));
  return normalizeText(pdfText(pdf));
}

/** Prints the document at `url` as its own page in the launch's browser context (same session cookie). */
async function printUrl(ehr: Page, url: string): Promise<string> {
  const page = await ehr.browserContext().newPage();
  try {
    await page.goto(url, { waitUntil: 'load' });
    return await printedText(page);
  } finally {
    await page.close();
  }
}

/** Print clicked: which window printed (the preview's window is stubbed, so no dialog opens in headless Chromium). */
async function clickPrint(app: Frame, preview: Frame): Promise<{ preview: boolean; app: boolean }> {
  await preview.evaluate(() => {
    (window as unknown as { printed: boolean }).printed = false;
    window.print = () => { (window as unknown as { printed: boolean }).printed = true; };
  });
  await app.evaluate(() => {
    (window as unknown as { printed: boolean }).printed = false;
    window.print = () => { (window as unknown as { printed: boolean }).printed = true; };
  });
  await app.click('#print-handout');
  // The page records the print in the audit trail first, then prints: wait for the print (or its absence).
  await preview.waitForFunction(() => (window as unknown as { printed: boolean }).printed, { timeout: 10_000 }).catch(() => undefined);
  const printed = (frame: Frame): Promise<boolean> => frame.evaluate(() => (window as unknown as { printed: boolean }).printed);
  return { preview: await printed(preview), app: await printed(app) };
}

/** Texts of the app's controls on the handout tab: none of them belongs on the printed handout. */
const APP_CONTROLS = ['Download PDF', 'Reading level (whole handout)', 'Large print', 'File to chart', 'End session', 'Signed in as'];

describe.each(VENDORS)('inside the EHR frame (%s)', (vendor) => {
  let ehr: Page;
  let app: Frame;
  const expected = servedHandoutOfSynthetic(syntheticEntry(PATIENT), new Date(), { date: new Date().toISOString().slice(0, 10) });

  beforeAll(async () => {
    ({ ehr, app } = await launchInFrame(vendor));
    await app.click('#tab-button-handout');
    await app.waitForSelector('#print-handout');
  }, 60_000);

  afterAll(async () => {
    await ehr?.close();
  });

  test('the handout preview renders inside the EHR frame and shows the patient', async () => {
    const preview = await previewFrame(app, /\/handout$/);
    const text = await preview.evaluate(() => document.body?.textContent ?? '');
    expect(text).toContain(PATIENT_NAME);
  });

  test('Print prints the preview document, which holds the patient and every seed fact, in regular and large print', async () => {
    const regular = await previewFrame(app, /\/handout$/);
    expect(await clickPrint(app, regular)).toEqual({ preview: true, app: false });
    const regularText = await printUrl(ehr, regular.url());
    expect(regularText).toContain(PATIENT_NAME);
    expect(seedFactsMissingFromPdf(regularText, expected)).toEqual([]);

    await app.click('#large-print');
    const large = await previewFrame(app, /\/handout\?large=1$/);
    expect(await large.evaluate(() => document.documentElement.className)).toBe('large-print');
    expect(await clickPrint(app, large)).toEqual({ preview: true, app: false });
    const largeText = await printUrl(ehr, large.url());
    expect(largeText).toContain(PATIENT_NAME);
    expect(seedFactsMissingFromPdf(largeText, expected)).toEqual([]);
    await app.click('#large-print');
    await previewFrame(app, /\/handout$/);
  }, 60_000);

  test("the app page's own print (Ctrl+P) prints the handout, not the app's controls", async () => {
    const page = await ehr.browserContext().newPage();
    try {
      await page.goto(app.url(), { waitUntil: 'load' });
      await page.waitForSelector('#tab-button-handout');
      await page.click('#tab-button-handout');
      await previewFrame(page.mainFrame(), /\/handout$/); // Ctrl+P once the handout is on screen
      const text = await printedText(page);
      expect(text).toContain(PATIENT_NAME);
      expect(seedFactsMissingFromPdf(text, expected)).toEqual([]);
      expect(APP_CONTROLS.filter((control) => text.includes(control))).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
