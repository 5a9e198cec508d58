import { validateResource } from '@medplum/core';
import type { Patient, Resource } from '@medplum/fhirtypes';
import type { AuditEvent } from 'fhir/r4';
import { auditEventOf } from '../../server/audit/audit-event-resource';
import type { AuditRecord } from '../../server/audit/audit-record';
import { chainHash } from '../../server/audit/audit-record';
import type { AuditRow } from '../../server/audit/audit-trail';
import { AuditTrail } from '../../server/audit/audit-trail';
import { createLogger, scrub } from '../../server/log';
import type { Db } from '../../server/store/db';
import { loadStructureDefinitions } from '../../fhir-resources/fhir-definitions';
import { complianceLaunch } from '../support/compliance-helpers';
import { CookieAgent } from '../support/cookie-agent';
import { dbTargets } from '../support/db-targets';
import type { AttestedSession } from '../support/filing-helpers';
import { attestedDiscussion, call, clearFaults, completedChecklist, fileNote, notesInChart, openLaunch, postsSince, queueFault, waitForFiling } from '../support/filing-helpers';
import { launchUntilCallback } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The security reviewer's group J (security-reliability.md §6): audit and logging. The audit trail is exported as
 * FHIR AuditEvents in the IHE BALP shape; tampering is found and raised; a write is never done unrecorded; a
 * canary patient's name, birth date and every token the EHR issued stay out of the operational log through every
 * flow; hostile characters in chart data cannot forge or break a log line; times are UTC.
 */
let system: TestSystem;

const ANALYST = 'itdd-compliance-brooks';

beforeAll(async () => {
  system = await startTestSystem({ WRITE_LEASE_MS: '2000' });
});

afterAll(async () => {
  await system.close();
});

const headSeq = async (db: Db = system.db): Promise<number> => Number((await db.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_head'))[0]?.seq ?? 0);
const rowsAfter = async (seq: number): Promise<AuditRow[]> => new AuditTrail(system.db).rows(seq, 10_000);

/** Gives a sandbox patient other demographics (the sandbox's chart is in memory: this system's own copy). */
async function renamePatient(id: string, change: Partial<Patient>): Promise<void> {
  const repo = system.sandbox!.sandbox.repo;
  const patient = await repo.readResource<Patient>('Patient', id);
  await repo.updateResource<Patient>({ ...patient, ...change });
}

async function pdfOf(s: { launch: AttestedSession['launch'] }, discussionId: string): Promise<number> {
  const pdf = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout.pdf?discussionId=${discussionId}`);
  await pdf.arrayBuffer();
  return pdf.status;
}

async function printed(s: AttestedSession): Promise<number> {
  const response = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout/printed?discussionId=${s.discussionId}`, {
    method: 'POST',
    headers: { 'x-csrf-token': s.csrf, origin: system.appUrl },
  });
  return response.status;
}

// ---------------------------------------------------------------------------------------------------------------
// J1: every launch, read, render, write and failure is an AuditEvent in the BALP shape.

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

/** The IHE BALP (Basic Audit Log Patterns) constraints an exported AuditEvent must meet, as a list of what is wrong. */
function balpProblems(event: AuditEvent, record: AuditRecord): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) {
      problems.push(what);
    }
  };
  need(event.type.system === 'http://terminology.hl7.org/CodeSystem/audit-event-type' && event.type.code === 'rest', 'type audit-event-type#rest');
  need((event.subtype?.length ?? 0) >= 1 && event.subtype?.[0]?.code === record.action, 'subtype names the action');
  need(['C', 'R', 'U', 'D', 'E'].includes(event.action ?? ''), 'action is a FHIR action code');
  need(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(event.recorded), 'recorded is a UTC instant');
  need({ success: '0', refused: '4', failure: '8' }[record.outcome] === event.outcome, 'outcome coded');
  need(record.outcome === 'success' || event.outcomeDesc === record.reason, 'a failure says why (a code)');
  const users = event.agent.filter((a) => a.requestor);
  if (record.actor === undefined) {
    need(users.length === 0, 'no user agent without a signed-in user');
  } else {
    need(users.length === 1, 'one requesting user agent');
    need(users[0]?.type?.coding?.[0]?.code === 'IRCP' && users[0]?.who?.identifier?.value === record.actor, 'user agent: IRCP, who = fhirUser');
  }
  const app = event.agent.filter((a) => !a.requestor && a.type?.coding?.[0]?.system === DCM);
  need(app.length === 1, 'one app (client) agent');
  need(app[0]?.type?.coding?.[0]?.code === (event.action === 'R' ? '110152' : '110153'), 'the app is Destination of a read, Source otherwise');
  need(event.source.observer.display !== undefined, 'source observer');
  const patients = (event.entity ?? []).filter((e) => e.what?.reference?.startsWith('Patient/') === true);
  if (record.patientId === undefined) {
    need(patients.length === 0, 'no patient entity without a patient');
  } else {
    need(patients.length === 1, 'one patient entity per event');
    need(patients[0]?.what?.reference === `Patient/${record.patientId}`, 'entity[patient].what = Reference(Patient)');
    need(patients[0]?.type?.system === ENTITY_TYPE && patients[0]?.type?.code === '1' && patients[0]?.role?.system === OBJECT_ROLE && patients[0]?.role?.code === '1', 'entity[patient] type 1 role 1');
  }
  for (const entity of (event.entity ?? []).filter((e) => !patients.includes(e))) {
    need(entity.type?.system === ENTITY_TYPE && entity.type.code === '2', 'entity[data] type 2 (System Object)');
    need(entity.role?.system === OBJECT_ROLE && entity.role.code !== undefined, 'entity[data] has a role');
    need(entity.what !== undefined, 'entity[data].what');
  }
  return problems;
}

test('J1: a launch, chart read, preview, print, PDF, filing and each failure become AuditEvents that pass FHIR R4 validation and the BALP shape', async () => {
  const start = await headSeq();
  // A launch the app refuses (an EHR it does not know).
  const rejected = await fetch(`${system.appUrl}/launch?iss=${encodeURIComponent('https://unknown-ehr.example/fhir')}&launch=abc123`, { redirect: 'manual' });
  expect(rejected.status).toBe(400);
  // The whole discussion: launch, chart read, checklist, attestation, preview, print, PDF, filing.
  const s = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
  expect((await s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout?discussionId=${s.discussionId}`)).status).toBe(200);
  expect(await printed(s)).toBe(204);
  expect(await pdfOf(s, s.discussionId)).toBe(200);
  expect((await call(system, s, 'GET', `${s.api}/note-preview?discussionId=${s.discussionId}`)).status).toBe(200);
  await fileNote(system, s);
  expect((await waitForFiling(system, s, s.discussionId)).filed).toBe(true);
  // A refusal (a nurse may not attest) and a failed filing (the EHR refuses the note for good).
  const nurse = await openLaunch(system, 'antiplatelet-patient', 'generic', 'itdd-rn-patel');
  const saved = await completedChecklist(system, nurse);
  expect((await call(system, nurse, 'POST', `${nurse.api}/attest`, { version: saved.body.discussion.version })).status).toBe(403);
  const failing = await attestedDiscussion(system, 'medication-references-patient', 'epic');
  await system.sandbox!.sandbox.repo.deleteResource('Encounter', 'medication-references-encounter');
  expect((await fileNote(system, failing)).body.state).toBe('failed');

  const rows = await rowsAfter(start);
  const actions = new Set(rows.map((r) => r.record.action));
  for (const action of ['launch.rejected', 'launch.accepted', 'chart.read', 'checklist.saved', 'discussion.attested', 'handout.previewed', 'handout.printed', 'handout.downloaded', 'note.previewed', 'discussion.refused', 'document.failed'] as const) {
    expect(actions).toContain(action);
  }
  // Filed: confirmed by reading it back, or (a slow answer) found by reconciliation.
  expect(actions.has('document.filed') || actions.has('document.reconciled')).toBe(true);
  loadStructureDefinitions(['AuditEvent']);
  for (const row of rows) {
    const event = auditEventOf(row);
    expect(() => validateResource(event as unknown as Resource)).not.toThrow();
    expect({ action: row.record.action, problems: balpProblems(event, row.record) }).toEqual({ action: row.record.action, problems: [] });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// J2: an edited, deleted, reordered, inserted or truncated audit row is found, and raised.

const event = (n: number): AuditRecord => ({
  action: 'checklist.saved', outcome: 'success', tenantId: 'sandbox-generic', actor: 'https://ehr.example/fhir/Practitioner/p1',
  patientId: `patient-${n % 3}`, entities: [{ type: 'Discussion', id: `d-${n}` }], detail: { version: n },
});

type Tamper = [string, (db: Db) => Promise<unknown>, { seq: number; problem: string }];

const TAMPERS: Tamper[] = [
  ['an edited record', (db) => db.query(`UPDATE audit_events SET record = jsonb_set(record, '{patientId}', '"patient-9"') WHERE seq = 5`), { seq: 5, problem: 'edited' }],
  ['an edited query column alone', (db) => db.query(`UPDATE audit_events SET actor = 'https://ehr.example/fhir/Practitioner/someone-else' WHERE seq = 3`), { seq: 3, problem: 'edited' }],
  ['an edited time', (db) => db.query(`UPDATE audit_events SET recorded_at = recorded_at - interval '1 day' WHERE seq = 2`), { seq: 2, problem: 'edited' }],
  ['a deleted row', (db) => db.query('DELETE FROM audit_events WHERE seq = 4'), { seq: 4, problem: 'missing' }],
  ['a truncated tail (the head remembers the end)', (db) => db.query('DELETE FROM audit_events WHERE seq >= 7'), { seq: 7, problem: 'missing' }],
  ['two rows swapped', async (db) => {
    await db.query('UPDATE audit_events SET seq = -seq WHERE seq IN (3, 4)');
    await db.query('UPDATE audit_events SET seq = 4 WHERE seq = -3');
    await db.query('UPDATE audit_events SET seq = 3 WHERE seq = -4');
  }, { seq: 3, problem: 'edited' }],
  ['a row inserted at the end with a correct hash (a forger who does not move the head)', async (db) => {
    const [last] = await db.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 8');
    const record = event(9);
    const at = new Date().toISOString();
    await db.query(
      `INSERT INTO audit_events (seq, recorded_at, action, outcome, tenant_id, actor, patient_id, record, prev_hash, hash)
       VALUES (9, $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [at, record.action, record.outcome, record.tenantId, record.actor, record.patientId, JSON.stringify(record), last?.hash, chainHash(last?.hash ?? '', 9, at, record)],
    );
  }, { seq: 9, problem: 'inserted' }],
  ['a row inserted in the middle (the later ones renumbered)', async (db) => {
    await db.query('UPDATE audit_events SET seq = seq + 100 WHERE seq >= 5');
    await db.query('UPDATE audit_events SET seq = seq - 99 WHERE seq >= 105');
    await db.query(
      `INSERT INTO audit_events (seq, recorded_at, action, outcome, record, prev_hash, hash)
       SELECT 5, recorded_at, action, outcome, record, prev_hash, hash FROM audit_events WHERE seq = 4`,
    );
  }, { seq: 5, problem: 'edited' }],
];

const tamperCases = dbTargets('audit_tamper').flatMap(([target, make]) => TAMPERS.map(([name, tamper, found]) => [name, target, make, tamper, found] as const));

test.each(tamperCases)('J2: %s (%s) is found, and the first bad row named', async (_name, _target, make, tamper, found) => {
  const target = make();
  const db = await target.open();
  try {
    const trail = new AuditTrail(db);
    for (let n = 1; n <= 8; n += 1) {
      await trail.append(event(n));
    }
    expect(await trail.verify()).toMatchObject({ ok: true, rows: 8 });
    await tamper(db);
    expect(await trail.verify()).toMatchObject({ ok: false, firstBad: found });
  } finally {
    await target.cleanup(db);
    await db.close();
  }
});

test('J2: a tampered trail in the running app is raised: the dashboard shows it broken and the operational log carries an error', async () => {
  await attestedDiscussion(system, 'minimal-data-patient', 'generic');
  const seq = await headSeq();
  await system.db.query(`UPDATE audit_events SET outcome = 'refused' WHERE seq = $1`, [seq - 1]);
  try {
    const dashboard = await complianceLaunch(system, ANALYST);
    const page = await dashboard.response.text();
    expect(page).toMatch(/data-field="chain" data-state="broken"/);
    expect(page).toContain(`chain BROKEN</strong> at row ${seq - 1} (edited)`);
    const alert = system.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'audit.chain_broken');
    expect(alert).toMatchObject({ level: 'error', seq: seq - 1, problem: 'edited' });
  } finally {
    await system.db.query(`UPDATE audit_events SET outcome = 'success' WHERE seq = $1`, [seq - 1]);
  }
  expect(await new AuditTrail(system.db).verify()).toMatchObject({ ok: true });
});

// ---------------------------------------------------------------------------------------------------------------
// J3: the audit store unavailable during a write.

test('J3: with the audit store unavailable the filing is not reported done; once it is back the note is on record, once, in the chart and in the trail', async () => {
  const patient = 'spanish-speaker-patient';
  const s = await attestedDiscussion(system, patient, 'generic');
  const since = Date.now();
  const start = await headSeq();
  await system.db.query('ALTER TABLE audit_events RENAME TO audit_events_away');
  let during: Awaited<ReturnType<typeof fileNote>>;
  try {
    during = await fileNote(system, s);
  } finally {
    await system.db.query('ALTER TABLE audit_events_away RENAME TO audit_events');
  }
  // Not silently lost: the clinician is not told the note was filed while nothing recorded it.
  expect(during.status === 200 && during.body.filed === true).toBe(false);
  // The ledger kept the intent: the page's next poll (or the recovery sweep) completes it, and records it.
  const state = await waitForFiling(system, s, s.discussionId, (st) => st.final === true, 30_000);
  expect(state.filed).toBe(true);
  expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
  expect(postsSince(system, patient, since).filter((p) => p.status < 300)).toHaveLength(1);
  const filed = (await rowsAfter(start)).filter((r) => r.record.action === 'document.filed' || r.record.action === 'document.reconciled');
  expect(filed).toHaveLength(1);
  expect(filed[0]?.record.entities).toContainEqual({ type: 'DocumentReference', id: state.documentId as string });
  expect(await new AuditTrail(system.db).verify()).toMatchObject({ ok: true });
}, 60_000);

// ---------------------------------------------------------------------------------------------------------------
// J4: a canary patient through every flow: never in the operational log, nor any token.

const CANARY = { given: 'Zebulon', family: 'Quattlebaum-Canary', birthDate: '1931-02-17' };
const CANARY_DATES = ['1931-02-17', '02/17/1931', '17/02/1931', '17.02.1931', 'Feb 17, 1931', '17 Feb 1931', 'February 17, 1931', '17 February 1931', '19310217'];

test('J4: the canary patient\'s name and birth date, the clinician\'s note about them and every token issued appear in no log line, through launch, chart, checklist, preview, PDF, print, filing, errors and the compliance dashboard', async () => {
  const patient = 'baclofen-pump-patient';
  await renamePatient(patient, { name: [{ use: 'official', family: CANARY.family, given: [CANARY.given] }], birthDate: CANARY.birthDate });
  const linesBefore = system.logLines.length;

  // Launch by hand to the callback, so the authorization code and state are known too.
  const agent = new CookieAgent();
  const callback = await launchUntilCallback(system, { patient, vendor: 'generic' }, agent);
  const { response, url } = await agent.follow(callback);
  expect(response.status).toBe(200);
  const shell = await response.text();
  const launchId = /\/app\/([A-Za-z0-9_-]+)$/.exec(url)?.[1] ?? '';
  const launch = { agent, launchId, finalResponse: response, finalUrl: url };
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(shell)?.[1] ?? '';
  const session = { launch, csrf, api: `${system.appUrl}/api/launches/${launchId}/discussion` };

  // The chart as the page shows it carries the canary (so it really flowed through the app).
  const context = await call(system, session, 'GET', `${system.appUrl}/api/launches/${launchId}/context`);
  expect(JSON.stringify(context.body)).toContain(CANARY.family);
  await call(system, session, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`, {});
  let view = (await call(system, session, 'GET', session.api)).body;
  view = (await call(system, session, 'POST', `${session.api}/notes`, { version: view.discussion.version, text: `${CANARY.given} ${CANARY.family} asked about swimming.` })).body;
  expect(view.discussion.clinicianNotes).toHaveLength(1);
  // Errors along the way: a stale version, a missing CSRF token, an EHR read failing.
  expect((await call(system, session, 'POST', `${session.api}/notes`, { version: 1, text: `${CANARY.given} again` })).status).toBe(409);
  expect((await call(system, { ...session, csrf: 'wrong' }, 'POST', `${session.api}/notes`, { version: view.discussion.version, text: CANARY.given })).status).toBe(403);
  await queueFault(system, { fault: 'server-error', scope: 'read', resourceType: 'Observation', count: 3 });
  await call(system, session, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`, {});
  await clearFaults(system);

  const saved = await completedChecklist(system, session);
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expect(attested.status).toBe(200);
  const s: AttestedSession = { ...session, discussionId: attested.body.discussion.id as string, patient };
  const handout = await agent.request(`${system.appUrl}/app/${launchId}/handout?discussionId=${s.discussionId}`);
  expect(await handout.text()).toContain(CANARY.family);
  expect(await printed(s)).toBe(204);
  expect(await pdfOf(s, s.discussionId)).toBe(200);
  const preview = await call(system, s, 'GET', `${s.api}/note-preview?discussionId=${s.discussionId}`);
  expect(preview.body.text).toContain(CANARY.family);
  // Filing through a lost answer (reconciliation) and a 401 (token refresh): the paths that log the most.
  await queueFault(system, { fault: 'unauthorized', patient });
  await fileNote(system, s);
  expect((await waitForFiling(system, s, s.discussionId)).filed).toBe(true);
  await clearFaults(system);

  // The compliance analyst's dashboard, its export and its integrity check.
  const dashboard = await complianceLaunch(system, ANALYST);
  expect(dashboard.response.status).toBe(200);
  await dashboard.response.text();
  for (const path of [`/compliance/${dashboard.launchId}?integrity=on`, `/compliance/${dashboard.launchId}/export.csv`, `/api/compliance/${dashboard.launchId}/discussions`]) {
    const answer = await dashboard.agent.request(`${system.appUrl}${path}`);
    expect(answer.status).toBe(200);
    await answer.text();
  }

  const lines = system.logLines.slice(linesBefore);
  expect(lines.length).toBeGreaterThan(20);
  const log = lines.join('\n');
  for (const word of [CANARY.given, CANARY.family, 'Quattlebaum', ...CANARY_DATES, 'swimming']) {
    expect({ word, found: log.includes(word) }).toEqual({ word, found: false });
  }
  const hop = agent.hops.map((h) => h.url).find((u) => u.startsWith(`${system.appUrl}/callback`)) ?? callback;
  const params = new URL(hop).searchParams;
  const secrets = [...system.sandbox!.sandboxSecrets(), params.get('code') ?? '', params.get('state') ?? '', csrf, ...agent.cookieValues(), ...dashboard.agent.cookieValues()];
  expect(secrets.length).toBeGreaterThan(5);
  for (const secret of secrets.filter((x) => x.length >= 16)) {
    expect(system.logLines.some((l) => l.includes(secret))).toBe(false);
  }
}, 120_000);

// ---------------------------------------------------------------------------------------------------------------
// J5: CRLF and ANSI escapes in chart data.

const HOSTILE_NAME = 'Mallory\r\n{"level":"error","event":"forged.line"}\u001b[31mRED\u001b[0m\u0007';

test('J5: a patient name with CR/LF, a forged JSON line and ANSI escapes cannot add, break or colour a log line', async () => {
  const patient = 'psychosis-ziconotide-patient';
  await renamePatient(patient, { name: [{ family: HOSTILE_NAME, given: ['Eve\u001b]0;owned\u0007'] }] });
  const linesBefore = system.logLines.length;
  const s = await attestedDiscussion(system, patient, 'generic');
  expect((await s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout?discussionId=${s.discussionId}`)).status).toBe(200);
  await queueFault(system, { fault: 'server-error', patient });
  await fileNote(system, s);
  expect((await waitForFiling(system, s, s.discussionId)).filed).toBe(true);
  await clearFaults(system);
  const lines = system.logLines.slice(linesBefore);
  expect(lines.length).toBeGreaterThan(5);
  for (const line of lines) {
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.event).not.toBe('forged.line');
  }
  expect(lines.join('\n')).not.toContain('Mallory');
});

test('J5: outside text that does reach a log line (a URL, a library\'s message) is stripped of control characters and stays one JSON line', () => {
  const lines: string[] = [];
  const logger = createLogger('debug', (line) => lines.push(line));
  const cleaned = scrub(`GET /fhir/Patient/x failed: ${HOSTILE_NAME}`);
  expect(cleaned).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  logger.warn('ehr.read_failed', { reason: cleaned });
  logger.warn('ehr.read_failed', { reason: HOSTILE_NAME });
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect((JSON.parse(line) as Record<string, unknown>).event).toBe('ehr.read_failed');
  }
  expect((JSON.parse(lines[1] ?? '{}') as { reason: string }).reason).toBe(HOSTILE_NAME);
});

// ---------------------------------------------------------------------------------------------------------------
// J6: times are UTC, and node clocks that disagree do not break the trail.

test('J6: log lines, audit rows and exported AuditEvents carry UTC instants (ISO 8601 with Z) from the host clock', async () => {
  const linesBefore = system.logLines.length;
  const start = await headSeq();
  const before = Date.now();
  await openLaunch(system, 'chinese-speaker-patient', 'generic');
  const after = Date.now();
  const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const lines = system.logLines.slice(linesBefore).map((l) => JSON.parse(l) as { time: string });
  expect(lines.length).toBeGreaterThan(0);
  for (const { time } of lines) {
    expect(time).toMatch(utc);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(time)).toBeLessThanOrEqual(after + 1000);
  }
  const rows = await rowsAfter(start);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.recordedAt).toMatch(utc);
    expect(Date.parse(row.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(row.recordedAt)).toBeLessThanOrEqual(after + 1000);
    expect(auditEventOf(row).recorded).toBe(row.recordedAt);
  }
});

test.each(dbTargets('audit_skew'))('J6: two app instances whose clocks disagree (%s) still write one chain, ordered by sequence, not by clock', async (_name, make) => {
  const target = make();
  const db = await target.open();
  const other = target.reopenable ? await target.open() : db;
  try {
    const right = new AuditTrail(db);
    // The second instance's clock is five minutes slow.
    const slow = new AuditTrail(other, { now: () => new Date(Date.now() - 5 * 60_000) });
    await right.append(event(1));
    await slow.append(event(2));
    await right.append(event(3));
    const report = await right.verify();
    expect(report).toMatchObject({ ok: true, rows: 3 });
    const rows = await right.rows(0, 10);
    expect(rows.map((r) => [r.seq, r.record.detail?.version])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(Date.parse(rows[1]?.recordedAt ?? '')).toBeLessThan(Date.parse(rows[0]?.recordedAt ?? ''));
  } finally {
    if (other !== db) {
      await other.close();
    }
    await target.cleanup(db);
    await db.close();
  }
});
