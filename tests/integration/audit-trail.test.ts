import type { AuditRecord } from '../../server/audit/audit-record';
import { chainHash } from '../../server/audit/audit-record';
import { AuditTrail } from '../../server/audit/audit-trail';
import type { Db } from '../../server/store/db';
import type { DbTarget } from '../support/db-targets';
import { dbTargets } from '../support/db-targets';

/**
 * Tamper evidence, straight against the database (PGlite, and PostgreSQL when TEST_DATABASE_URL is set): an edited,
 * deleted, reordered or inserted row — or a truncated tail — is found and the first bad row named; an intact chain
 * verifies; concurrent writers (two app instances on one PostgreSQL) extend one valid chain.
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

  test('an edited record is the first bad row', async () => {
    await db.query(`UPDATE audit_events SET record = jsonb_set(record, '{patientId}', '"patient-9"') WHERE seq = 5`);
    expect((await trail.verify()).firstBad).toEqual({ seq: 5, problem: 'edited' });
  });

  test('an edited query column alone is an edit too', async () => {
    await db.query(`UPDATE audit_events SET actor = 'https://ehr.example/fhir/Practitioner/someone-else' WHERE seq = 3`);
    expect((await trail.verify()).firstBad).toEqual({ seq: 3, problem: 'edited' });
  });

  test('an edited time is an edit', async () => {
    await db.query(`UPDATE audit_events SET recorded_at = recorded_at - interval '1 day' WHERE seq = 2`);
    expect((await trail.verify()).firstBad).toEqual({ seq: 2, problem: 'edited' });
  });

  test('a deleted row is missing', async () => {
    await db.query('DELETE FROM audit_events WHERE seq = 4');
    expect((await trail.verify()).firstBad).toEqual({ seq: 4, problem: 'missing' });
  });

  test('a deleted tail is missing (the head remembers the end)', async () => {
    await db.query('DELETE FROM audit_events WHERE seq >= 7');
    expect((await trail.verify()).firstBad).toEqual({ seq: 7, problem: 'missing' });
  });

  test('two rows swapped are found at the first of them', async () => {
    await db.query('UPDATE audit_events SET seq = -seq WHERE seq IN (3, 4)');
    await db.query('UPDATE audit_events SET seq = 4 WHERE seq = -3');
    await db.query('UPDATE audit_events SET seq = 3 WHERE seq = -4');
    expect((await trail.verify()).firstBad).toEqual({ seq: 3, problem: 'edited' });
  });

  test('a row inserted at the end, even with a correct hash, is not in the chain', async () => {
    const [last] = await db.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 8');
    const forged = new AuditTrail(db);
    // A forger who copies the hashing still cannot move the head without being seen: here they do not move it.
    const record = event(9);
    const at = new Date().toISOString();
    await db.query(
      `INSERT INTO audit_events (seq, recorded_at, action, outcome, tenant_id, actor, patient_id, record, prev_hash, hash)
       VALUES (9, $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [at, record.action, record.outcome, record.tenantId, record.actor, record.patientId, JSON.stringify(record), last?.hash, chainHash(last?.hash ?? '', 9, at, record)],
    );
    expect((await forged.verify()).firstBad).toEqual({ seq: 9, problem: 'inserted' });
  });

  test('a row inserted in the middle (the later ones renumbered) breaks the chain there', async () => {
    await db.query('UPDATE audit_events SET seq = seq + 100 WHERE seq >= 5');
    await db.query('UPDATE audit_events SET seq = seq - 99 WHERE seq >= 105');
    await db.query(
      `INSERT INTO audit_events (seq, recorded_at, action, outcome, record, prev_hash, hash)
       SELECT 5, recorded_at, action, outcome, record, prev_hash, hash FROM audit_events WHERE seq = 4`,
    );
    expect((await trail.verify()).firstBad).toEqual({ seq: 5, problem: 'edited' });
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
