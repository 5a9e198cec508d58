import type { Browser, Page } from 'puppeteer';
import { buildPatientContext } from '../../server/chart/patient-context';
import type { PatientContext } from '../../server/chart/patient-context';
import { withSystemAndBrowser } from '../support/e2e-setup';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { loadSyntheticBundle, sandboxPractitioners, syntheticEntry } from '../support/synthetic-patients';
import type { TestSystem } from '../support/system';
import type { SimulatorChoice } from '../support/simulator-page';
import { launchInNewWindow as launchInWindow, openSimulator } from '../support/simulator-page';

/**
 * The SMART launch end to end in Debian's Chromium: the EHR simulator launches the app (new window, iframe,
 * standalone), the clinician view shows the patient the bundle describes, and two charts in one browser never mix.
 * That no EHR token reaches the browser (case E5) is tests/adversarial/e-browser-session.test.ts.
 */
let system: TestSystem;
let browser: Browser;

/** What the clinician view must show for a patient: the pure mapping of its bundle (itself unit-tested). */
function expectedContext(patientId: string): PatientContext {
  const entry = syntheticEntry(patientId);
  const launch = { patientId, encounterId: entry.encounterId, fhirUser: 'Practitioner/itdd-dr-rivera' };
  const reads = chartReadsFromBundle(loadSyntheticBundle(entry.file), launch, { extraResources: sandboxPractitioners() });
  return buildPatientContext(reads, new Date());
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent ?? ''));
}

const openSim = (choice: SimulatorChoice): Promise<Page> => openSimulator(browser, system.sandboxUrl ?? '', choice);
const launchInNewWindow = (patient: string): Promise<Page> => launchInWindow(browser, system.sandboxUrl ?? '', { patient });

async function expectShows(page: Page, expected: PatientContext): Promise<void> {
  await page.waitForSelector('[data-section="conditions"]');
  const name = await texts(page, '[data-field="patient-name"]');
  expect(name).toEqual([expected.patient?.name ?? 'Name not recorded']);
  expect(await texts(page, '[data-field="birth-date"]')).toEqual([expected.patient?.birthDate ?? 'not recorded']);
  expect(await texts(page, '[data-field="condition"]')).toEqual(expected.conditions.map((c) => c.display));
  expect(await texts(page, '[data-field="medication"]')).toEqual(expected.medications.map((m) => m.display));
}

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});


describe('EHR launch from the simulator', () => {
  test.each(['anticoagulant-patient', 'html-hostile-name-patient', 'arabic-rtl-name-patient', 'minimal-data-patient', 'medication-references-patient'])(
    '%s: the view shows what the chart says',
    async (patient) => {
      const page = await launchInNewWindow(patient);
      await expectShows(page, expectedContext(patient));
      await page.close();
    },
  );

  test('a name made of HTML stays text: no element is injected and nothing runs', async () => {
    const page = await launchInNewWindow('html-hostile-name-patient');
    await page.waitForSelector('[data-field="patient-name"]');
    const name = (await texts(page, '[data-field="patient-name"]'))[0] ?? '';
    expect(name).toContain('<img src=x onerror=alert(1)>');
    expect(await page.$$eval('#app img, #app script, #app b', (nodes) => nodes.length)).toBe(0);
    await page.close();
  });

  test('the chart view comes with the page (no API call), and the handout is ready before its tab is opened', async () => {
    const page = await launchInNewWindow('anticoagulant-patient');
    const fetched = (path: RegExp): Promise<number> =>
      page.evaluate((source) => performance.getEntriesByType('resource').filter((e) => new RegExp(source).test(new URL(e.name).pathname)).length, path.source);
    expect(await fetched(/\/context$/)).toBe(0);
    // The preview loads hidden while the clinician reads the chart.
    await page.waitForFunction(() => {
      const frame = document.querySelector<HTMLIFrameElement>('#handout-preview');
      return frame?.contentDocument?.querySelector('h1') !== null && frame?.contentDocument?.readyState === 'complete';
    });
    expect(await page.$eval('#tab-handout', (el) => el.checkVisibility())).toBe(false);
    expect(await fetched(/\/handout$/)).toBe(1);
    await page.click('#tab-button-handout');
    expect(await page.$eval('#handout-preview', (el) => el.checkVisibility())).toBe(true);
    expect(await fetched(/\/handout$/)).toBe(1);
    // After the checklist (whose answers can change the handout) the Handout tab loads it afresh.
    await page.click('#tab-button-checklist');
    await page.waitForSelector('#tab-checklist [data-item-id]');
    expect(await page.$('#handout-preview')).toBeNull();
    await page.click('#tab-button-handout');
    await page.waitForFunction(() => (document.querySelector<HTMLIFrameElement>('#handout-preview')?.contentDocument?.querySelector('h1') ?? null) !== null);
    expect(await fetched(/\/handout$/)).toBe(2);
    await page.close();
  });

  test('an Arabic name is shown right to left', async () => {
    const page = await launchInNewWindow('arabic-rtl-name-patient');
    const direction = await page.$eval('[data-field="patient-name"]', (el) => getComputedStyle(el).direction);
    expect(direction).toBe('rtl');
    await page.close();
  });

  test('need_patient_banner "false" (as Epic sends it) hides the banner', async () => {
    const simulator = await openSim({ patient: 'anticoagulant-patient', banner: 'string-false' });
    const opened = browser.waitForTarget((t) => t.opener() === simulator.target());
    await simulator.click('#launch');
    const page = (await (await opened).page()) as Page;
    await page.waitForSelector('[data-section="conditions"]');
    expect(await page.$('[data-section="banner"]')).toBeNull();
    await page.close();
    await simulator.close();
  });
});

describe('launch inside the EHR frame', () => {
  test('runs inside an iframe, as Epic and PowerChart embed it, and shows the patient', async () => {
    const page = await openSim({ patient: 'spanish-speaker-patient', embed: true });
    await page.click('#launch');
    const frameHandle = await page.waitForSelector('iframe#app-frame');
    const frame = await frameHandle?.contentFrame();
    if (frame === undefined || frame === null) {
      throw new Error('no app frame');
    }
    await frame.waitForSelector('[data-section="conditions"]', { timeout: 20_000 });
    const expected = expectedContext('spanish-speaker-patient');
    expect(await frame.$$eval('[data-field="patient-name"]', (n) => n.map((x) => x.textContent))).toEqual([expected.patient?.name]);
    expect(await frame.$$eval('[data-field="language"]', (n) => n.map((x) => x.textContent))).toEqual([expected.patient?.preferredLanguage?.display ?? 'es']);
    await page.close();
  });
});

describe('standalone launch', () => {
  test('from the app home page, the EHR asks for a user and a patient, then the app shows that patient', async () => {
    const page = await browser.newPage();
    await page.goto(`${system.appUrl}/`);
    await Promise.all([page.waitForNavigation(), page.click('a[href="/standalone?tenant=sandbox-generic"]')]);
    expect(page.url().startsWith(`${system.sandboxUrl}/auth/authorize`)).toBe(true);
    await page.select('select[name="patient"]', 'diabetes-hba1c-patient');
    await page.select('select[name="user"]', 'itdd-dr-chen');
    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    await page.waitForSelector('[data-section="conditions"]', { timeout: 20_000 });
    await expectShows(page, expectedContext('diabetes-hba1c-patient'));
    expect((await texts(page, '[data-field="hba1c"]'))[0]).toMatch(/^8\.1\s*%$/);
    await page.close();
  });
});

describe('two charts in one browser', () => {
  test('interleaved launches for two patients: each window keeps its own patient, after reloads too', async () => {
    const first = await launchInNewWindow('anticoagulant-patient');
    const second = await launchInNewWindow('arabic-rtl-name-patient');
    await first.reload();
    await second.reload();
    await first.waitForSelector('[data-field="patient-name"]');
    await second.waitForSelector('[data-field="patient-name"]');
    expect(await texts(first, '[data-field="patient-name"]')).toEqual(['Margaret Ann Ellison']);
    expect(await texts(second, '[data-field="patient-name"]')).toEqual([expectedContext('arabic-rtl-name-patient').patient?.name]);
    await first.close();
    await second.close();
  });
});

