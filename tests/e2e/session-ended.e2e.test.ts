import type { Browser } from 'puppeteer';
import { queueFault } from '../support/filing-helpers';
import { withSystemAndBrowser } from '../support/e2e-setup';
import { launchInNewWindow } from '../support/simulator-page';
import type { TestSystem } from '../support/system';

/**
 * When the EHR ends the session (the access token revoked and the refresh refused, as the SMART App Launcher does),
 * the page says so once and disables what would fail, instead of ten "not authorized" notes; and a nurse's page
 * shows why she cannot complete the discussion before she tries.
 */
let system: TestSystem;
let browser: Browser;

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});

test('a refused refresh: one "session ended" notice, actions disabled, the chart as read at launch still shown', async () => {
  const patient = 'anticoagulant-patient';
  const page = await launchInNewWindow(browser, system.sandboxUrl ?? '', { patient, error: 'refresh_refused' });
  const conditionsBefore = await page.$eval('[data-section="conditions"]', (e) => e.textContent);
  await queueFault(system, { fault: 'unauthorized', scope: 'read', patient, count: 1 });
  await page.click('#refresh-chart');
  await page.waitForSelector('#session-ended');
  expect(await page.$eval('#session-ended', (e) => e.textContent)).toMatch(/Your session with the EHR has ended\..*Launch the app again from the patient's chart: everything entered so far is kept/);
  expect(await page.$eval('#session-ended', (e) => e.getAttribute('role'))).toBe('alert');
  expect(await page.$$eval('button:not([role="tab"])', (buttons) => buttons.filter((b) => !b.disabled).map((b) => b.textContent))).toEqual([]);
  expect(await page.$eval('[data-section="conditions"]', (e) => e.textContent)).toBe(conditionsBefore);
  expect(await page.$$eval('.read-note', (notes) => notes.length)).toBe(0);
  await page.close();
});

test("the nurse's checklist says who may complete it, and Complete is disabled", async () => {
  const page = await launchInNewWindow(browser, system.sandboxUrl ?? '', { patient: 'antiplatelet-patient', user: 'itdd-rn-patel' });
  await page.click('#tab-button-checklist');
  await page.waitForSelector('#attest');
  expect(await page.$eval('#attest', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  expect(await page.$eval('#attest-permission', (e) => e.textContent)).toMatch(/signed in as a nurse: you can prepare the checklist and print the handout\. Only a physician, nurse practitioner or physician assistant may attest/);
  await page.click('#tab-button-filing');
  await page.waitForSelector('#file-permission:not([hidden])');
  expect(await page.$eval('#file-to-chart', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  await page.close();
});
