import type { Browser, Page } from 'puppeteer';
import { seriousViolations } from '../support/accessibility';
import { withSystemAndBrowser } from '../support/e2e-setup';
import { attestedDiscussion, fileNote, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';

/**
 * The compliance dashboard in Debian's Chromium: from the app's home page through the EHR sign-in (a user, no
 * patient) to the dashboard; the filed note of a real discussion listed, checked against the chart ("match", then
 * "changed" once the note is edited in the EHR), filtered; a nurse refused with the 403 page. No serious axe issue.
 */
let system: TestSystem;
let browser: Browser;

withSystemAndBrowser((s, b) => {
  system = s;
  browser = b;
});

async function signInToDashboard(user: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${system.appUrl}/`);
  await Promise.all([page.waitForNavigation(), page.click('a[href="/compliance/launch?tenant=sandbox-generic"]')]);
  expect(await page.$('select[name="patient"]')).toBeNull();
  await page.select('select[name="user"]', user);
  await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  return page;
}

const integrityOf = (page: Page, discussionId: string): Promise<string | null> =>
  page.$eval(`tr[data-discussion="${discussionId}"]`, (tr) => tr.getAttribute('data-integrity'));

test('the analyst sees the filed discussion, checks it against the chart, and sees an edit in the EHR as "changed"', async () => {
  const filed = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
  await fileNote(system, filed);
  const state = await waitForFiling(system, filed, filed.discussionId);
  expect(state.filed).toBe(true);

  const page = await signInToDashboard('itdd-compliance-brooks');
  expect(new URL(page.url()).pathname).toMatch(/^\/compliance\/[A-Za-z0-9_-]{16,}$/);
  expect(await page.$eval('h1', (h) => h.textContent)).toBe('Compliance dashboard');
  expect(await page.$eval('[data-field="chain"]', (p) => p.getAttribute('data-state'))).toBe('intact');
  expect(await page.$$eval('nav.tabs a', (links) => links.map((a) => a.textContent))).toEqual(['Discussions', 'Content approval', 'Documentation gaps']);
  expect(await integrityOf(page, filed.discussionId)).toBe('unchecked');
  expect(await seriousViolations(page, 'compliance dashboard')).toEqual([]);

  await Promise.all([page.waitForNavigation(), page.click('#check-integrity')]);
  expect(await integrityOf(page, filed.discussionId)).toBe('match');
  const cells = await page.$$eval(`tr[data-discussion="${filed.discussionId}"] td`, (tds) => tds.map((td) => td.textContent));
  expect(cells).toEqual(expect.arrayContaining([filed.discussionId, 'anticoagulant-patient', 'filed', state.documentId as string, 'match']));

  const alter = await fetch(`${system.sandboxUrl ?? ''}/simulator/documents/${state.documentId as string}/alter`, { method: 'POST' });
  expect(alter.status).toBe(200);
  await page.reload();
  expect(await integrityOf(page, filed.discussionId)).toBe('changed');

  await page.select('select[name="status"]', 'draft');
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type="submit"]')]);
  expect(new URL(page.url()).searchParams.get('status')).toBe('draft');
  expect(await page.$(`tr[data-discussion="${filed.discussionId}"]`)).toBeNull();
  const exportHref = await page.$eval('#export-csv', (a) => a.getAttribute('href'));
  expect(exportHref).toMatch(/\/export\.csv\?status=draft$/);
  await page.close();
});

test('a nurse signing in to the dashboard gets the 403 page', async () => {
  const page = await signInToDashboard('itdd-rn-patel');
  expect(await page.$eval('main', (m) => m.textContent)).toMatch(/The compliance dashboard is only for the compliance team\.[\s\S]*your attempt has been recorded/);
  expect(await page.$('table.discussions')).toBeNull();
  await page.close();
});
