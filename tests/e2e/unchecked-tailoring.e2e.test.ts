import { queueFault } from '../support/filing-helpers';
import type { Browser } from 'puppeteer';
import { withSystemAndBrowser } from '../support/e2e-setup';
import { launchInNewWindow } from '../support/simulator-page';
import type { TestSystem } from '../support/system';

/**
 * What the clinician sees, in Chromium, when the EHR fails the Condition and Observation reads of the diabetic
 * patient: the handout tab and the checklist say what the tailoring could not check, "no flags" is not "no risks",
 * and the checklist asks for a confirmation per unchecked area.
 */
let system: TestSystem;
let browser: Browser;

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});

const PATIENT = 'diabetes-hba1c-patient';

/** The sandbox answers 500 to this patient's next read of `resourceType` (queueFault refuses anything but 201). */
const failNextRead = (resourceType: string): Promise<void> =>
  queueFault(system, { fault: 'server-error', scope: 'read', resourceType, patient: PATIENT, count: 1 });

test('the handout tab and the checklist name the parts of the chart that could not be read', async () => {
  await failNextRead('Condition');
  await failNextRead('Observation');
  const page = await launchInNewWindow(browser, system.sandboxUrl ?? '', { patient: PATIENT });

  await page.click('#tab-button-handout');
  await page.waitForSelector('#readability-overall');
  const handoutAreas = await page.$$eval('#unchecked-areas li', (items) => items.map((li) => [li.getAttribute('data-read'), li.textContent]));
  expect(handoutAreas.map(([read]) => read)).toEqual(['conditions', 'observations']);
  expect(handoutAreas[0]?.[1]).toMatch(/^Conditions could not be read: .*infection risk.* were not checked from the chart\.$/);

  await page.click('#tab-button-checklist');
  await page.waitForSelector('#attest');
  const flags = await page.$eval('[data-section="flags"]', (e) => e.textContent ?? '');
  expect(flags).not.toContain('No tailoring flags were raised from the chart.');
  expect(flags).toContain('Lab results and pain scores could not be read: infection risk');
  for (const id of ['reviewed-unchecked-conditions', 'reviewed-unchecked-observations']) {
    const item = await page.$(`[data-item-id="${id}"] input[type="checkbox"]`);
    expect(item).not.toBeNull();
  }
  await page.close();
});
