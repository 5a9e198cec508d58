import { AuditTrail } from '../../server/audit/audit-trail';
import type { AuditRecord } from '../../server/audit/audit-record';
import { openDb } from '../../server/store/db';
import type { Db } from '../../server/store/db';
import type { BenchReport } from './run';

/**
 * Audit appends per second (each one a transaction holding the chain head's row lock, as in the app) and the
 * verifier's speed, on the embedded PGlite store and — when BENCH_DATABASE_URL or TEST_DATABASE_URL is set — on
 * PostgreSQL with four concurrent writers (two app instances' worth of contention on one chain).
 */
const APPENDS = 2000;

const record = (n: number): AuditRecord => ({
  action: 'checklist.saved', outcome: 'success', tenantId: 'sandbox-generic', actor: 'https://ehr.example/r4/Practitioner/p1',
  patientId: `patient-${n % 50}`, launch: 'a1b2c3d4e5f60718', entities: [{ type: 'Discussion', id: `d-${n % 200}` }], detail: { version: n },
});

async function measure(db: Db, writers: number): Promise<{ appendsPerS: number; verifyRowsPerS: number; ok: boolean }> {
  const trails = Array.from({ length: writers }, () => new AuditTrail(db));
  const started = performance.now();
  await Promise.all(trails.map(async (trail, w) => {
    for (let n = w; n < APPENDS; n += writers) {
      await trail.append(record(n));
    }
  }));
  const appendsPerS = Math.round(APPENDS / ((performance.now() - started) / 1000));
  const verifyStarted = performance.now();
  const report = await new AuditTrail(db).verify();
  const verifyRowsPerS = Math.round(report.rows / ((performance.now() - verifyStarted) / 1000));
  return { appendsPerS, verifyRowsPerS, ok: report.ok && report.rows === APPENDS };
}

export async function auditBenchmark(): Promise<BenchReport> {
  const pglite = await openDb({});
  const embedded = await measure(pglite, 1);
  await pglite.close();
  const figures: Record<string, number> = { audit_appends_per_s: embedded.appendsPerS, audit_verify_rows_per_s: embedded.verifyRowsPerS };
  const rows = [{ case: `PGlite in memory, 1 writer, ${APPENDS} appends`, appends_per_s: embedded.appendsPerS, verify_rows_per_s: embedded.verifyRowsPerS, chain_ok: String(embedded.ok) }];
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (url !== undefined) {
    const schema = `audit_bench_${process.pid}`;
    const pg = await openDb({ databaseUrl: url, schema });
    try {
      const shared = await measure(pg, 4);
      figures.audit_appends_per_s_postgres_4_writers = shared.appendsPerS;
      rows.push({ case: `PostgreSQL, 4 concurrent writers, ${APPENDS} appends`, appends_per_s: shared.appendsPerS, verify_rows_per_s: shared.verifyRowsPerS, chain_ok: String(shared.ok) });
    } finally {
      await pg.query(`DROP SCHEMA ${schema} CASCADE`);
      await pg.close();
    }
  }
  return {
    rows,
    checks: [],
    figures,
    notes: ['Each append is one transaction that locks the chain head (SELECT … FOR UPDATE), inserts the row and moves the head: one chain in one order across instances.'],
  };
}
