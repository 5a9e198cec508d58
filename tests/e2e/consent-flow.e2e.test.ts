import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'puppeteer';
import { loadHandoutPack, loadInterpreterNotices } from '../../server/content/content-packs';
import { withSystemAndBrowser } from '../support/e2e-setup';
import type { TestSystem } from '../support/system';
import { launchInNewWindow } from '../support/simulator-page';
import { answerEverything, waitSaved } from '../support/checklist-page';

/**
 * What the clinician does with the product, in Debian's Chromium: launch from the chart → the tailored handout →
 * the PDF downloaded → the checklist completed (after the server refused it incomplete), surviving a reload.
 */
let system: TestSystem;
let browser: Browser;
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-downloads-'));

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});

afterAll(() => {
  fs.rmSync(downloads, { recursive: true, force: true });
});

const launch = (patient: string): Promise<Page> => launchInNewWindow(browser, system.sandboxUrl ?? '', { patient });

/** The text of the patient-facing block the bleeding-risk flag adds (content is data: read it from the pack). */
function tailoredText(flag: string): string {
  const block = loadHandoutPack('en').sections.flatMap((s) => s.blocks).find((b) => b.tailoring === flag);
  let text: string | undefined;
  if (block?.type === 'paragraph') {
    // The patient's own finding is printed at {evidence}: compare the longest fixed part of the paragraph.
    text = block.text.split('{evidence}').sort((a, b) => b.length - a.length)[0];
  } else if (block?.type === 'list') {
    text = block.items[0];
  }
  if (text === undefined) {
    throw new Error(`no ${flag} block`);
  }
  return text;
}

async function previewText(page: Page): Promise<string> {
  const handle = await page.waitForSelector('#handout-preview');
  const frame = (await handle?.contentFrame()) as Frame;
  await frame.waitForSelector('h1');
  return frame.$eval('body', (b) => b.textContent ?? '');
}

test('launch → tailored handout → PDF downloaded → checklist refused incomplete, kept across a reload, then completed', async () => {
  const page = await launch('anticoagulant-patient');

  // The handout, tailored: the bleeding-risk block is in the preview, the readability grades are shown.
  await page.click('#tab-button-handout');
  await page.waitForSelector('#readability-overall');
  expect(await page.$eval('#readability-overall', (e) => e.textContent)).toMatch(/FKGL \d+\.\d · SMOG \d+\.\d/);
  const preview = await previewText(page);
  expect(preview).toContain('Margaret Ann Ellison');
  expect(preview.replace(/\s+/g, ' ')).toContain(tailoredText('bleeding-risk').replace(/\s+/g, ' '));

  // The PDF, downloaded by the browser.
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await page.click('#download-pdf');
  const file = await waitForFile(downloads, /\.pdf$/);
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  expect(path.basename(file)).not.toMatch(/Ellison|Margaret/);
  const pdfText = execFileSync('pdftotext', [file, '-']).toString().replace(/\s+/g, ' '); // reading order: the patient pages are in two columns
  expect(pdfText).toContain('Margaret Ann Ellison');
  expect(pdfText).toContain(tailoredText('bleeding-risk').replace(/\s+/g, ' ').slice(0, 60));

  // The checklist: completing it empty is refused by the server, naming what is missing.
  await page.click('#tab-button-checklist');
  await page.waitForSelector('#attest');
  await page.click('#attest');
  await page.waitForSelector('#checklist-errors:not([hidden])');
  expect(await page.$$eval('[data-item-id].missing', (n) => n.length)).toBeGreaterThan(5);

  // What was entered survives a reload.
  const firstText = await page.$('[data-item-id]:not([hidden]) input[type="text"]');
  await firstText?.type('Riverside Pain Clinic');
  await waitSaved(page);
  await page.reload();
  await page.waitForSelector('[data-section="conditions"]');
  await page.click('#tab-button-checklist');
  await page.waitForSelector('#attest');
  const values = await page.$$eval('[data-item-id] input[type="text"]', (inputs) => inputs.map((i) => (i).value));
  expect(values).toContain('Riverside Pain Clinic');

  // Everything answered → attested by the server.
  await answerEverything(page);
  await waitSaved(page);
  await page.click('#attest');
  await page.waitForSelector('#checklist-status[data-status="attested"]', { timeout: 15_000 });
  await page.close();
});

/** Waits for the browser's download (the first PDF starts the renderer's Chromium: seconds on a busy machine). */
async function waitForFile(dir: string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 300; i += 1) {
    const done = fs.readdirSync(dir).find((f) => pattern.test(f));
    if (done !== undefined) {
      return path.join(dir, done);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no download');
}

test('no handout in the patient\'s language: English with an "interpreter needed" notice, and the clinician is told', async () => {
  const page = await launch('arabic-rtl-name-patient');
  await page.click('#tab-button-handout');
  await page.waitForSelector('#interpreter-needed');
  const notice = loadHandoutPack('en').notices?.find((n) => n.id === 'interpreter-needed');
  const preview = (await previewText(page)).replace(/\s+/g, ' ');
  expect(notice).toBeDefined();
  expect(preview).toContain((notice?.text ?? '').replace(/\s+/g, ' ').slice(0, 50));
  await page.close();
});

test('the Arabic-preferring patient: the notice in Arabic with its review status, and "not needed" refused until the clinician says why', async () => {
  const page = await launch('arabic-rtl-name-patient');
  const arabic = loadInterpreterNotices().notices.find((n) => n.language === 'ar')!;
  await page.click('#tab-button-handout');
  await page.waitForSelector('#language-notice');
  expect(await page.$eval('#language-notice', (e) => e.getAttribute('data-review-status'))).toBe('needs-translator-review');
  expect(await page.$eval('#language-notice', (e) => e.textContent)).toContain('Needs review by a qualified translator');
  expect(await page.$eval('#language-notice blockquote', (e) => [e.getAttribute('lang'), e.getAttribute('dir'), e.textContent])).toEqual(['ar', 'rtl', arabic.text]);
  const handle = await page.waitForSelector('#handout-preview');
  const frame = (await handle?.contentFrame()) as Frame;
  const printed = await frame.waitForSelector('[data-notice="language-help"]');
  expect(await printed?.evaluate((e) => [e.getAttribute('lang'), getComputedStyle(e).direction, e.textContent])).toEqual(['ar', 'rtl', arabic.text]);

  await page.click('#tab-button-checklist');
  await page.waitForSelector('#language-mismatch');
  await answerEverything(page);
  await page.click('[data-item-id="interpreter-used"] input[value="not-needed"]');
  const reason = await page.waitForSelector('[data-item-id="interpreter-not-needed-reason"]:not([hidden]) input');
  await reason?.click({ clickCount: 3 });
  await page.keyboard.press('Backspace');
  await waitSaved(page);
  await page.click('#attest');
  await page.waitForSelector('#checklist-errors:not([hidden])');
  expect(await page.$eval('#checklist-errors', (e) => e.textContent)).toContain('"Not needed" cannot be recorded');
  expect(await page.$$eval('#checklist-errors a[data-item-link]', (as) => as.map((a) => a.getAttribute('data-item-link')))).toEqual(['interpreter-used']);
  await reason?.type('The patient chose English, which she speaks fluently.');
  await waitSaved(page);
  await page.click('#attest');
  await page.waitForSelector('#checklist-status[data-status="attested"]', { timeout: 15_000 });
  await page.close();
});

test('a Spanish-speaking patient gets the Spanish pack, visibly marked DRAFT (not yet reviewed by a medical translator)', async () => {
  const page = await launch('spanish-speaker-patient');
  await page.click('#tab-button-handout');
  await page.waitForSelector('#pack-draft');
  const preview = await previewText(page);
  expect(preview).toContain(loadHandoutPack('es').title);
  expect(preview).toMatch(/BORRADOR|DRAFT/);
  await page.close();
});

test('a dismissed flag leaves the handout and a clinician note is printed in it; both are recorded', async () => {
  const page = await launch('antiplatelet-patient');
  const bleeding = tailoredText('bleeding-risk').replace(/\s+/g, ' ');
  await page.click('#tab-button-handout');
  expect((await previewText(page)).replace(/\s+/g, ' ')).toContain(bleeding);
  await page.click('#tab-button-checklist');
  const flag = '[data-flag-id="antithrombotic-bleeding-risk"]';
  await page.waitForSelector(`${flag} [data-action="dismiss"]`);
  await page.click(`${flag} [data-action="dismiss"]`);
  await page.type(`${flag} .dismiss-reason`, 'Reviewed with the patient already');
  await page.click(`${flag} [data-action="confirm-dismiss"]`);
  await page.waitForSelector(`${flag}[data-dismissed="true"]`);
  await page.type('#note-text', 'Bring your medicine list to the trial visit <b>please</b>');
  await page.click('#add-note');
  await page.waitForFunction(() => document.querySelector('[data-section="notes"] li') !== null);
  await page.click('#tab-button-handout');
  const preview = (await previewText(page)).replace(/\s+/g, ' ');
  expect(preview).toContain('Bring your medicine list to the trial visit <b>please</b>');
  expect(preview).not.toContain(bleeding);
  // Recorded: the discussion keeps the dismissal (with its reason) and the note after a reload.
  await page.reload();
  await page.waitForSelector('[data-section="conditions"]');
  await page.click('#tab-button-checklist');
  await page.waitForSelector(`${flag}[data-dismissed="true"]`);
  expect(await page.$eval(`${flag} .dismissed`, (n) => n.textContent)).toContain('Reviewed with the patient already');
  expect(await page.$eval('[data-section="notes"] li', (n) => n.textContent)).toContain('Bring your medicine list');
  await page.close();
});

test('the clinician changes what the handout is about on the Handout tab: saved, and the preview and the checklist follow it', async () => {
  const page = await launch('morphine-allergy-patient');
  await page.click('#tab-button-handout');
  await page.waitForSelector('#handout-procedure');
  expect(await page.$eval('#handout-procedure option[value=""]', (o) => o.textContent)).toBe('From the chart (First implant (after a trial))');
  const trial = loadHandoutPack('en').sections.find((s) => s.id === 'trial')!.heading;
  expect(await previewText(page)).toContain(trial);
  await page.select('#handout-procedure', 'replacement');
  await page.waitForFunction(() => document.querySelector('#scenario-status')?.textContent?.startsWith('Saved') === true);
  await page.waitForFunction(
    (heading) => {
      const doc = document.querySelector<HTMLIFrameElement>('#handout-preview')?.contentDocument;
      return doc?.querySelector('h1') !== null && doc?.body.textContent?.includes(heading) === false;
    },
    {},
    trial,
  );
  await page.click('#tab-button-checklist');
  await page.waitForSelector('#item-benefit-trial-first-replacement');
  expect(await page.$('#item-benefit-trial-first')).toBeNull();
  expect(await page.$('#item-trial-explained')).toBeNull();
  // Kept with the discussion: a reload shows the same choice.
  await page.reload();
  await page.waitForSelector('[data-section="conditions"]');
  await page.click('#tab-button-handout');
  await page.waitForSelector('#handout-procedure');
  expect(await page.$eval('#handout-procedure', (s) => (s as HTMLSelectElement).value)).toBe('replacement');
  expect(await previewText(page)).not.toContain(trial);
  await page.close();
});
