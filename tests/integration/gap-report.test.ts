import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'fhir-kit-client';
import { AuditTrail } from '../../server/audit/audit-trail';
import { startStandaloneSandbox } from '../../server/boot';
import { runGapsCli } from '../../server/cli/gaps';
import { openDb } from '../../server/store/db';
import { loadConfig } from '../../server/config';
import { buildGapReport } from '../../server/gap-report/gap-report';
import { appSigningKeyFor } from '../../server/launch/app-keys';
import { startTestSystem } from '../support/system';
import type { TestSystem } from '../support/system';

/**
 * The documentation-gap report against the real sandbox EHR and the real app: a backend-services token (the app's
 * key, checked by the sandbox against the app's JWKS URL), the reads made with fhir-kit-client, and exactly the gaps
 * the sandbox's synthetic cases hold (`fhir-resources/sandbox/gap-report.json`): four gaps with their reasons, three
 * documented procedures (the pump replacement among them), and nothing for refills, cancelled or undone
 * procedures, procedures outside the range, or a trial coded with an unverified code.
 *
 * The command runs with the app stopped (the embedded store serves one process) and starts the sandbox EHR itself;
 * the dashboard's function runs inside the running app, whose sandbox checks the assertion against the app's JWKS URL.
 */
let sys: TestSystem;
let env: Record<string, string>;
let cliDataDir: string;
let cliEnv: Record<string, string>;
const withSandbox = { startSandbox: startStandaloneSandbox };
const RANGE = ['--from', '2026-11-01', '--to', '2027-01-01'];
const SEEDED_GAPS = [
  ['gap-no-note', 'Procedure/gap-no-note-pump-implant', '62361', 'no_note'],
  ['gap-entered-in-error', 'Procedure/gap-entered-in-error-catheter-revision', '62350', 'note_entered_in_error'],
  ['gap-note-after', 'Procedure/gap-note-after-pump-implant', '62362', 'note_after_procedure'],
  ['gap-scheduled-no-note', 'ServiceRequest/gap-scheduled-no-note-reservoir-implant', '62360', 'no_note'],
];

function streams(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

/** RFC 4180 rows (every cell quoted by the writer). */
function parseCsv(text: string): string[][] {
  return text.trimEnd().split('\r\n').map((line) => [...line.matchAll(/"((?:[^"]|"")*)"|([^,]+)/g)].map((m) => (m[1] ?? m[2] ?? '').replace(/""/g, '"')));
}

beforeAll(async () => {
  sys = await startTestSystem();
  env = { DATA_DIR: sys.dataDir, APP_BASE_URL: sys.appUrl, SANDBOX_BASE_URL: sys.sandboxUrl as string, LOG_LEVEL: 'silent' };
  cliDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-gaps-cli-'));
  await (await openDb({ dataDir: path.join(cliDataDir, 'pglite') })).close();
  cliEnv = { DATA_DIR: cliDataDir, SANDBOX_PORT: '0', LOG_LEVEL: 'silent' };
  // Two embedded stores initialise here: tens of seconds on a loaded machine.
}, 180_000);
afterAll(async () => {
  await sys.close();
  fs.rmSync(cliDataDir, { recursive: true, force: true });
});

test('npm run gaps: exactly the seeded gaps, on screen and as CSV, read over backend services with fhir-kit-client', async () => {
  const search = jest.spyOn(Client.prototype, 'search');
  const nextPage = jest.spyOn(Client.prototype, 'nextPage');
  const s = streams();
  const out = path.join(cliDataDir, 'gaps.csv');
  const code = await runGapsCli(['--tenant', 'sandbox-generic', ...RANGE, '--out', out], cliEnv, s.io, withSandbox);
  expect(s.err.join('')).toBe('');
  expect(code).toBe(0);

  const rows = parseCsv(fs.readFileSync(out, 'utf8'));
  expect(rows[0]).toEqual(['tenant', 'patient_fhir_id', 'resource', 'procedure_code', 'procedure_display', 'procedure_kind', 'procedure_date', 'status', 'done_or_scheduled', 'gap_reason', 'why', 'note_ids']);
  expect(rows.slice(1).map((r) => [r[1], r[2], r[3], r[9]])).toEqual(SEEDED_GAPS);
  expect(rows[1]).toEqual(['sandbox-generic', 'gap-no-note', 'Procedure/gap-no-note-pump-implant', '62361',
    'Implantation or replacement of device for intrathecal or epidural drug infusion; nonprogrammable pump', 'pump implant or replacement',
    '2026-11-05T09:00:00Z', 'completed', 'done', 'no_note', 'no ITDD discussion note on file for this patient', '']);
  expect(rows[2]?.[11]).toBe('gap-entered-in-error-itdd-note');
  expect(rows[4]?.slice(7, 9)).toEqual(['active', 'scheduled']);
  expect(fs.readFileSync(out, 'utf8')).not.toMatch(/Synthetic-|Desmond|Harriet/);

  const screen = s.out.join('');
  expect(screen).toMatch(/4 gaps, 3 documented/);
  for (const [patient] of SEEDED_GAPS) {
    expect(screen).toContain(`Patient/${patient}`);
  }
  expect(screen).toMatch(/not covered \(no verified code\): trial/);

  expect(search.mock.calls.map(([p]) => p?.resourceType)).toEqual(expect.arrayContaining(['Procedure', 'ServiceRequest', 'DocumentReference']));
  expect(nextPage).not.toHaveBeenCalled();
  search.mockRestore();
  nextPage.mockRestore();
  const db = await openDb({ dataDir: path.join(cliDataDir, 'pglite') });
  const audited = (await new AuditTrail(db).rows(0, 100)).filter((r) => r.record.action === 'gaps.reported');
  await db.close();
  expect(audited.at(-1)?.record).toMatchObject({ tenantId: 'sandbox-generic', detail: { gaps: 4, documented: 3, via: 'cli' } });
});

test('the dashboard function returns the same gaps and the documented cases, the replacement among them, and audits ids only', async () => {
  const config = loadConfig(env);
  const db = sys.db;
  const audit = new AuditTrail(db);
  const before = sys.sandbox?.requests().length ?? 0;
  const report = await buildGapReport(
    { tenantId: 'sandbox-epic', from: '2026-11-01', to: '2027-01-01' },
    { config, signingKey: appSigningKeyFor(config), db, audit, actor: `${sys.sandboxUrl as string}/epic/r4/Practitioner/itdd-compliance-brooks` },
  );
  expect(report.gaps.map((g) => [g.patientId, `${g.procedure.resourceType}/${g.procedure.id}`, g.procedure.code, g.reason])).toEqual(SEEDED_GAPS);
  expect(report.documented.map((d) => [d.patientId, d.procedure.code, d.procedure.state, d.noteIds])).toEqual([
    ['gap-documented-implant', '62362', 'done', ['gap-documented-implant-itdd-note']],
    ['gap-documented-revision', '62350', 'done', ['gap-documented-revision-itdd-note']],
    ['gap-documented-replacement', '62362', 'scheduled', ['gap-documented-replacement-itdd-note']],
  ]);
  expect(report.notCovered).toEqual(['trial']);
  const traffic = (sys.sandbox?.requests() ?? []).slice(before).map((r) => `${r.method} ${r.path}`);
  expect(traffic).toEqual(expect.arrayContaining(['POST /auth/token', 'GET /epic/r4/Procedure', 'GET /epic/r4/ServiceRequest', 'GET /epic/r4/DocumentReference']));
  expect(traffic.filter((t) => t === 'POST /auth/token')).toHaveLength(1);
  const rows = await audit.rows(0, 1000);
  const reported = rows.filter((r) => r.record.action === 'gaps.reported');
  expect(reported.at(-1)?.record).toMatchObject({
    tenantId: 'sandbox-epic',
    outcome: 'success',
    detail: { from: '2026-11-01', to: '2027-01-01', gaps: 4, documented: 3, via: 'dashboard' },
  });
  expect(reported.at(-1)?.record.entities?.map((e) => e.id).sort()).toEqual(SEEDED_GAPS.map(([p]) => p).sort());
  expect(JSON.stringify(reported)).not.toMatch(/Synthetic-|Marisol|Theodore/);
});

test('a note the app filed that the chart no longer returns is named as the reason', async () => {
  // The ledger says the app filed a note for a gap patient; the chart does not have it.
  await sys.db.query(
    `INSERT INTO write_intents (id, intent_key, discussion_id, tenant_id, fhir_base_url, patient_id, clinician, profile, state,
       identifier, request_sha256, note_sha256, payload_sealed, created_at, updated_at, document_id)
     VALUES (gen_random_uuid(), 'k-missing', gen_random_uuid(), 'sandbox-oracle', $1, 'gap-no-note', 'Practitioner/itdd-dr-rivera', 'oracle',
       'confirmed', 'urn:uuid:x', 'x', 'x', 'sealed', now(), now(), 'filed-then-deleted')`,
    [`${sys.sandboxUrl as string}/oracle/r4`],
  );
  const config = loadConfig(env);
  const report = await buildGapReport({ tenantId: 'sandbox-oracle', from: '2026-11-01', to: '2027-01-01' }, { config, signingKey: appSigningKeyFor(config), db: sys.db, audit: new AuditTrail(sys.db) });
  expect(report.gaps.find((g) => g.patientId === 'gap-no-note')).toMatchObject({ reason: 'filed_note_not_in_chart', noteIds: ['filed-then-deleted'] });
  expect(report.gaps).toHaveLength(4);
});

test('a range that holds none of the procedures reports no gaps', async () => {
  const s = streams();
  expect(await runGapsCli(['--tenant', 'sandbox-generic', '--from', '2024-01-01', '--to', '2024-12-31'], cliEnv, s.io, withSandbox)).toBe(0);
  expect(s.out.join('')).toMatch(/0 gaps, 0 documented/);
});

test.each([
  [['--tenant', 'sandbox-generic', '--from', '2026-02-30', '--to', '2027-01-01'], /^gaps: --from must be a date as YYYY-MM-DD \(got "2026-02-30"\)\.$/],
  [['--tenant', 'sandbox-generic', '--from', '2026-11-01'], /^gaps: --to must be a date as YYYY-MM-DD \(got nothing\)\.$/],
  [['--tenant', 'sandbox-generic', '--from', '2027-01-01', '--to', '2026-11-01'], /^gaps: --to must be after --from/],
  [['--tenant', 'nowhere', ...RANGE], /^gaps: There is no EHR tenant "nowhere"/],
  [['--frobnicate', 'x'], /^gaps: usage: gaps --tenant/],
])('bad arguments %j: one line, exit 2', async (argv, words) => {
  const s = streams();
  expect(await runGapsCli(argv, cliEnv, s.io, withSandbox)).toBe(2);
  const [first, ...rest] = s.err.join('').trimEnd().split('\n');
  expect(first).toMatch(words);
  expect(rest.join('\n')).not.toMatch(/\n\s+at |Error:/);
});

test('a missing store: one line naming what to set, exit 2', async () => {
  const s = streams();
  expect(await runGapsCli(['--tenant', 'sandbox-generic', ...RANGE], { ...cliEnv, DATA_DIR: path.join(cliDataDir, 'nothing-here') }, s.io, withSandbox)).toBe(2);
  expect(s.err.join('')).toMatch(/^gaps: There is no store at .*\nSet DATABASE_URL/);
});

test('an unreachable EHR: one clear line, exit 1, no stack trace', async () => {
  const s = streams();
  // The sandbox tenants pointed at a port nobody listens on, and no sandbox started by the command.
  const code = await runGapsCli(['--tenant', 'sandbox-generic', ...RANGE], { ...cliEnv, SANDBOX_BASE_URL: 'http://127.0.0.1:9' }, s.io);
  expect(code).toBe(1);
  const text = s.err.join('');
  expect(text).toBe('gaps: The EHR sandbox-generic could not be reached (its SMART configuration at http://127.0.0.1:9/r4/.well-known/smart-configuration).\n'
    + 'Check that the EHR is up and that the tenant\'s iss is its FHIR base.\n');
});

test('with the app running on the sandbox port, the command says to stop it first (exit 2)', async () => {
  const s = streams();
  const port = new URL(sys.sandboxUrl as string).port;
  expect(await runGapsCli(['--tenant', 'sandbox-generic', ...RANGE], { ...cliEnv, SANDBOX_PORT: port }, s.io, withSandbox)).toBe(2);
  expect(s.err.join('')).toMatch(new RegExp(`^gaps: The sandbox EHR's port ${port} is in use: stop the app first\\.`));
});
