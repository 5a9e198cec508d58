import { AuditTrail } from '../../server/audit/audit-trail';
import { attestedDiscussion, call, completedChecklist, fileNote, openLaunch, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The audit trail of a whole discussion over the real system: every expected event, in order, with who, which
 * tenant and which patient; nothing that names the patient (a canary: the synthetic patient's name and birth date
 * appear in no audit row); refusals recorded; and an action whose audit row cannot be written does not happen.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

interface Row {
  seq: string;
  action: string;
  outcome: string;
  actor: string | null;
  patient_id: string | null;
  record: unknown;
}

const rowsSince = async (seq: number): Promise<Row[]> =>
  system.db.query<Row>('SELECT seq::text AS seq, action, outcome, actor, patient_id, record FROM audit_events WHERE seq > $1 ORDER BY audit_events.seq', [seq]);
const headSeq = async (): Promise<number> => Number((await system.db.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_head'))[0]?.seq ?? 0);

test('a discussion from launch to filing leaves every expected audit event, and no patient name or birth date', async () => {
  const start = await headSeq();
  const patient = 'anticoagulant-patient';
  const s = await attestedDiscussion(system, patient, 'generic');
  const preview = await s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout?discussionId=${s.discussionId}`);
  expect(preview.status).toBe(200);
  const printed = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout/printed?discussionId=${s.discussionId}`, {
    method: 'POST',
    headers: { 'x-csrf-token': s.csrf, origin: system.appUrl },
  });
  expect(printed.status).toBe(204);
  const pdf = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout.pdf?discussionId=${s.discussionId}`);
  expect(pdf.status).toBe(200);
  await pdf.arrayBuffer();
  await fileNote(system, s);
  expect((await waitForFiling(system, s, s.discussionId)).filed).toBe(true);

  const rows = await rowsSince(start);
  const actions = rows.map((r) => r.action);
  expect(actions).toEqual(['launch.accepted', 'chart.read', 'checklist.saved', 'discussion.attested', 'handout.previewed', 'handout.printed', 'handout.downloaded', 'document.filed']);
  const physician = `${system.sandboxUrl}/r4/Practitioner/itdd-dr-rivera`;
  for (const row of rows) {
    expect(row).toMatchObject({ outcome: 'success', actor: physician, patient_id: patient });
  }
  const filed = rows.find((r) => r.action === 'document.filed')?.record as { entities: Array<{ type: string; id: string }> };
  expect(filed.entities.map((e) => e.type)).toEqual(['Discussion', 'DocumentReference']);

  const everything = JSON.stringify(await system.db.query('SELECT * FROM audit_events'));
  expect(everything).not.toContain('Ellison');
  expect(everything).not.toContain('Margaret');
  expect(everything).not.toContain('1957-03-14');
  expect(everything).not.toContain(s.launch.launchId);
  expect(await new AuditTrail(system.db).verify()).toMatchObject({ ok: true });
});

test("a nurse's attempt to attest is recorded as refused, with the reason", async () => {
  const nurse = await openLaunch(system, 'antiplatelet-patient', 'generic', 'itdd-rn-patel');
  const saved = await completedChecklist(system, nurse);
  const start = await headSeq();
  const refused = await call(system, nurse, 'POST', `${nurse.api}/attest`, { version: saved.body.discussion.version });
  expect(refused.status).toBe(403);
  const [row] = await rowsSince(start);
  expect(row).toMatchObject({ action: 'discussion.refused', outcome: 'refused', actor: `${system.sandboxUrl}/r4/Practitioner/itdd-rn-patel` });
  expect(row?.record).toMatchObject({ reason: 'role_may_not_attest', detail: { tried: 'attest', roles: 'nurse' } });
});

test('when the audit row cannot be written, the change it records does not happen', async () => {
  const s = await openLaunch(system, 'morphine-allergy-patient', 'generic');
  const saved = await completedChecklist(system, s);
  expect(saved.status).toBe(200);
  await system.db.query('ALTER TABLE audit_events RENAME TO audit_events_away');
  try {
    const attested = await call(system, s, 'POST', `${s.api}/attest`, { version: saved.body.discussion.version });
    expect(attested.status).toBe(500);
  } finally {
    await system.db.query('ALTER TABLE audit_events_away RENAME TO audit_events');
  }
  const view = await call(system, s, 'GET', s.api);
  expect(view.body.discussion).toMatchObject({ status: 'draft', version: saved.body.discussion.version });
  expect(await new AuditTrail(system.db).verify()).toMatchObject({ ok: true });
});
