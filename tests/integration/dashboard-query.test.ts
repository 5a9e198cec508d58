import type { Db } from '../../server/store/db';
import { loadChecklist } from '../../server/content/content-packs';
import type { DashboardFilters, PageCursor } from '../../server/compliance/dashboard-filters';
import { PAGE_SIZE, parseDashboardQuery } from '../../server/compliance/dashboard-filters';
import type { DashboardQueryDeps } from '../../server/compliance/dashboard-query';
import { queryDashboard } from '../../server/compliance/dashboard-query';
import { dbTargets } from '../support/db-targets';
import type { SeededDiscussion } from '../support/dashboard-seed';
import { SEED_CLINICIANS, SEED_TENANT, seedBox, seedDiscussions } from '../support/dashboard-seed';

/**
 * The dashboard's query on every backend (PGlite; PostgreSQL when TEST_DATABASE_URL is set): keyset pages of 100
 * that together hold every matching discussion once, newest first, and each filter returning exactly the seeded
 * discussions it describes (computed from the seeded facts, not counted by hand). The filing status follows the
 * write ledger through the store's trigger.
 */
const COUNT = 260;

describe.each(dbTargets('dashboard_test'))('dashboard query on %s', (_name, makeTarget) => {
  const target = makeTarget();
  let db: Db;
  let deps: DashboardQueryDeps;
  let seeded: SeededDiscussion[];

  beforeAll(async () => {
    db = await target.open();
    const box = seedBox();
    deps = { db, box, checklistFor: () => loadChecklist('en') };
    seeded = await seedDiscussions(db, box, COUNT);
  });

  afterAll(async () => {
    await target.cleanup(db);
    await db.close();
  });

  async function allPages(filters: DashboardFilters): Promise<{ ids: string[]; pages: number[] }> {
    const ids: string[] = [];
    const pages: number[] = [];
    let after: PageCursor | undefined;
    for (;;) {
      const page = await queryDashboard(deps, SEED_TENANT, filters, after);
      ids.push(...page.rows.map((r) => r.discussionId));
      pages.push(page.rows.length);
      if (page.next === undefined) {
        return { ids, pages };
      }
      after = page.next;
    }
  }

  const newestFirst = (rows: SeededDiscussion[]): string[] =>
    [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);

  test('pages of 100 hold every discussion once, newest first', async () => {
    const { ids, pages } = await allPages({});
    expect(pages).toEqual([PAGE_SIZE, PAGE_SIZE, COUNT - 2 * PAGE_SIZE]);
    expect(ids).toEqual(newestFirst(seeded));
  });

  test.each<[string, DashboardFilters, (d: SeededDiscussion) => boolean]>([
    ['status filed', { status: 'filed' }, (d) => d.status === 'filed'],
    ['status draft', { status: 'draft' }, (d) => d.status === 'draft'],
    ['status attested (not filed)', { status: 'attested' }, (d) => d.status === 'attested'],
    ['status pending', { status: 'pending' }, (d) => d.status === 'pending'],
    ['status failed', { status: 'failed' }, (d) => d.status === 'failed'],
    ['status entered in error', { status: 'entered-in-error' }, (d) => d.status === 'entered-in-error'],
    ['a clinician', { clinician: SEED_CLINICIANS[2] }, (d) => d.clinician === SEED_CLINICIANS[2]],
    ['a patient', { patient: 'seed-patient-7' }, (d) => d.patientId === 'seed-patient-7'],
    ['a content version', { version: '1.1.0' }, (d) => d.version === '1.1.0'],
    ['a language', { language: 'es' }, (d) => d.language === 'es'],
    ['a date range', { from: '2026-06-01', to: '2026-06-01' }, (d) => d.createdAt.toISOString().startsWith('2026-06-01')],
    ['everything together', { status: 'filed', language: 'en', version: '1.0.0', clinician: SEED_CLINICIANS[1] },
      (d) => d.status === 'filed' && d.language === 'en' && d.version === '1.0.0' && d.clinician === SEED_CLINICIANS[1]],
  ])('filter: %s', async (_label, filters, matches) => {
    const expected = newestFirst(seeded.filter(matches));
    expect(expected.length).toBeGreaterThan(0);
    const { ids } = await allPages(filters);
    expect(ids).toEqual(expected);
  });

  test('each row carries its checklist count, teach-back and interpreter codes, and its filing', async () => {
    const page = await queryDashboard(deps, SEED_TENANT, { status: 'filed', language: 'es' }, undefined, 5);
    for (const row of page.rows) {
      expect(row.summary.teachBack).toBe('understood');
      expect(row.summary.interpreter).toBe('used');
      expect(row.summary.checklist.required).toBeGreaterThan(row.summary.checklist.answered);
      expect(row.filing?.documentId).toMatch(/^doc-/);
    }
  });

  test('another tenant sees none of these', async () => {
    expect((await queryDashboard(deps, 'other-tenant', {}, undefined)).rows).toEqual([]);
  });

  test('the filing status follows the write ledger: a retraction shows as entered in error', async () => {
    const filed = seeded.find((d) => d.status === 'filed');
    await db.query(`UPDATE write_intents SET state = 'entered-in-error' WHERE discussion_id = $1`, [filed?.id]);
    const { ids } = await allPages({ status: 'entered-in-error' });
    expect(ids).toContain(filed?.id);
    expect((await allPages({ status: 'filed' })).ids).not.toContain(filed?.id);
  });
});

describe('dashboard filters from the query string', () => {
  test('blank fields are no filter; a bad date, patient or status is refused by name', () => {
    expect(parseDashboardQuery({ from: '', status: '', patient: ' pat-1 ' })).toEqual({ filters: { patient: 'pat-1' }, integrity: false });
    expect(() => parseDashboardQuery({ from: '2026-02-30' })).toThrow(/from/);
    expect(() => parseDashboardQuery({ patient: 'a b' })).toThrow(/patient/);
    expect(() => parseDashboardQuery({ status: 'signed' })).toThrow(/status/);
    expect(() => parseDashboardQuery({ from: '2026-03-02', to: '2026-03-01' })).toThrow(/ends before it starts/);
    expect(() => parseDashboardQuery({ after: 'bm9uc2Vuc2U' })).toThrow(/page link/);
  });
});
