import type { AuditRecord } from '../../server/audit/audit-record';
import { AuditTrail } from '../../server/audit/audit-trail';
import type { Db } from '../../server/store/db';
import type { DbTarget } from '../support/db-targets';
import { dbTargets } from '../support/db-targets';

/**
 * The audit trail straight against the database (PGlite, and PostgreSQL when TEST_DATABASE_URL is set): an intact
 * chain verifies; concurrent writers (two app instances on one PostgreSQL) extend one valid chain; an action and its
 * row commit together. Tampering (edited, deleted, reordered, inserted rows, a truncated tail) is found: see
 * tests/adversarial/j-audit-logging.test.ts (J2).
 */
const event = (n: number): AuditRecord => ({
  action: 'checklist.saved', outcome: 'success', tenantId: 'sandbox-generic', actor: 'https://ehr.example/fhir/Practitioner/p1',
  patientId: `patient-${n % 3}`, entities: [{ type: 'Discussion', id: `d-${n}` }], detail: { version: n },
});

describe.each(dbTargets('audit_test'))('audit trail on %s', (_name, make) => {
  let target: DbTarget;
  let db: Db;
  let trail: AuditTrail;

  beforeEach(async () => {
    target = make();
    db = await target.open();
    trail = new AuditTrail(db);
    for (let n = 1; n <= 8; n += 1) {
      await trail.append(event(n));
    }
  });

  afterEach(async () => {
    await target.cleanup(db);
    await db.close();
  });

  test('an intact chain verifies', async () => {
    expect(await trail.verify()).toEqual({ ok: true, rows: 8, head: { seq: 8, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as string } });
  });

  test('concurrent appends from two handles keep one valid chain', async () => {
    const other = target.reopenable ? await target.open() : db;
    const second = new AuditTrail(other);
    await Promise.all(Array.from({ length: 40 }, (_v, n) => (n % 2 === 0 ? trail : second).append(event(100 + n))));
    const report = await trail.verify();
    expect(report).toMatchObject({ ok: true, rows: 48 });
    if (other !== db) {
      await other.close();
    }
  });

  test('an action and its audit row commit together or not at all', async () => {
    await db.query('CREATE TABLE audited_action (n integer)');
    // The audit row cannot be written (here: a record that is not minimal) → the action is rolled back.
    await expect(trail.together(async (tx) => {
      await tx.query('INSERT INTO audited_action (n) VALUES (1)');
      return 'done';
    }, () => ({ ...event(50), entities: [{ type: 'Discussion', id: 'has a space' }] }))).rejects.toThrow(/codes, ids and hashes/);
    expect(await db.query('SELECT n FROM audited_action')).toEqual([]);
    expect(await trail.verify()).toMatchObject({ ok: true, rows: 8 });
    await trail.together(async (tx) => tx.query('INSERT INTO audited_action (n) VALUES (2)'), () => event(51));
    expect(await db.query('SELECT n FROM audited_action')).toEqual([{ n: 2 }]);
    expect(await trail.verify()).toMatchObject({ ok: true, rows: 9 });
  });
});
