import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../server/audit/audit-trail';
import { runAuditCli } from '../../server/cli/audit';
import { openDb } from '../../server/store/db';

/**
 * `npm run audit -- verify | export` on the embedded store: an intact chain exits 0, a tampered one exits 3 naming
 * the first bad row; the export writes one FHIR AuditEvent per row in the range (validated before writing); bad
 * arguments and a missing store are one clear line, exit 2.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-audit-cli-'));
const env = { DATA_DIR: dataDir };

function streams(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

beforeAll(async () => {
  const db = await openDb({ dataDir: path.join(dataDir, 'pglite') });
  const trail = new AuditTrail(db);
  for (let n = 1; n <= 5; n += 1) {
    await trail.append({ action: 'checklist.saved', outcome: 'success', tenantId: 'sandbox-generic', actor: 'https://ehr.example/r4/Practitioner/p1', patientId: 'p1', entities: [{ type: 'Discussion', id: `d${n}` }], detail: { version: n } });
  }
  await trail.append({ action: 'discussion.refused', outcome: 'refused', actor: 'https://ehr.example/r4/Practitioner/n1', patientId: 'p1', reason: 'role_may_not_attest' });
  await db.close();
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('verify: an intact chain exits 0', async () => {
  const s = streams();
  expect(await runAuditCli(['verify'], env, s.io)).toBe(0);
  expect(s.out.join('')).toMatch(/audit chain intact: 6 rows/);
});

test('export: one valid FHIR AuditEvent per row of the range', async () => {
  const s = streams();
  const out = path.join(dataDir, 'audit.ndjson');
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  expect(await runAuditCli(['export', '--from', today, '--to', tomorrow, '--out', out], env, s.io)).toBe(0);
  const events = fs.readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
  expect(events).toHaveLength(6);
  expect(events[0]).toMatchObject({ resourceType: 'AuditEvent', action: 'U', outcome: '0', agent: [{ requestor: true, who: { identifier: { value: 'https://ehr.example/r4/Practitioner/p1' } } }, { requestor: false, who: { display: 'ITDD Consent' } }] });
  expect(events[5]).toMatchObject({ outcome: '4', outcomeDesc: 'role_may_not_attest' });
  expect(events[0]?.entity[0]).toMatchObject({ what: { reference: 'Patient/p1' } });
});

test.each([
  [['export', '--from', '2026-13-01', '--to', '2026-12-31', '--out', 'x'], /--from must be a date as YYYY-MM-DD/],
  [['export', '--from', '2026-12-01'], /--to must be a date as YYYY-MM-DD \(got nothing\)/],
  [['frobnicate'], /usage: audit verify/],
])('bad arguments %j: one clear line, exit 2', async (argv, words) => {
  const s = streams();
  expect(await runAuditCli(argv, env, s.io)).toBe(2);
  expect(s.err.join('')).toMatch(words);
  expect(s.err.join('')).not.toMatch(/\s+at /);
});

test('a missing store: exit 2, says where it looked and what to set', async () => {
  const s = streams();
  expect(await runAuditCli(['verify'], { DATA_DIR: path.join(dataDir, 'nowhere') }, s.io)).toBe(2);
  expect(s.err.join('')).toMatch(/There is no store at .*Set DATABASE_URL/s);
});

test('verify: a tampered row exits 3 and names it', async () => {
  const db = await openDb({ dataDir: path.join(dataDir, 'pglite') });
  await db.query(`UPDATE audit_events SET record = jsonb_set(record, '{reason}', '"none"') WHERE seq = 6`);
  await db.close();
  const s = streams();
  expect(await runAuditCli(['verify'], env, s.io)).toBe(3);
  expect(s.out.join('')).toMatch(/audit chain BROKEN at row 6 \(edited\)/);
});
