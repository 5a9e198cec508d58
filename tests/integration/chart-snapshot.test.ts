/**
 * One chart read per launch: the callback reads the chart in one parallel wave and keeps it, sealed, with the
 * launch; every API and the filing work from that copy; the chart is read again only when the clinician asks.
 */
import type { MedicationRequest } from 'fhir/r4';
import { attestedDiscussion, call, fileNote, openLaunch, waitForFiling } from '../support/filing-helpers';
import { ehrRequestsOf } from '../support/ehr-requests';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

const PATIENT = 'diabetes-hba1c-patient';

/** The reads a wave makes for this launch: every read the launch context names. */
function readsInWave(context: { reads: Record<string, { state: string }> }): number {
  return Object.values(context.reads).filter((r) => r.state !== 'not-in-context').length;
}

test('after the callback, no API and no filing reads the chart again', async () => {
  // The callback read the chart; the checklist was then completed and attested through the API.
  const session = await attestedDiscussion(system, PATIENT, 'generic');
  const base = `${system.appUrl}/api/launches/${session.launch.launchId}`;
  const get = (url: string): Promise<number> => ehrRequestsOf(system, async () => {
    const response = await session.launch.agent.request(url, { headers: { accept: '*/*' } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }).then((r) => r.requests);

  expect(await get(`${base}/context`)).toBe(0);
  expect(await get(session.api)).toBe(0);
  expect(await get(`${base}/handout-info`)).toBe(0);
  expect(await get(`${system.appUrl}/app/${session.launch.launchId}/handout`)).toBe(0);
  expect(await get(`${base}/handout.pdf`)).toBe(0);

  // The US Core filing: its handout PDF and note header come from the snapshot; only the write and its checks reach
  // the EHR (the CapabilityStatement, the POST, the read-back of the created document).
  const filing = await ehrRequestsOf(system, async () => {
    const answer = await fileNote(system, session);
    return answer.body.final === true ? answer.body : waitForFiling(system, session, session.discussionId);
  });
  expect(filing.result.filed).toBe(true);
  expect(filing.requests).toBeLessThanOrEqual(3);
});

test('the snapshot is sealed at rest, recorded on the discussion, and goes with the launch', async () => {
  const session = await openLaunch(system, PATIENT, 'generic');
  const context = (await call(system, session, 'GET', `${system.appUrl}/api/launches/${session.launch.launchId}/context`)).body;
  expect(context.chartRead.sha256).toMatch(/^[0-9a-f]{64}$/);
  const name = context.context.patient.name as string;
  expect(name.length).toBeGreaterThan(3);

  const rows = await system.db.query<Record<string, unknown>>('SELECT * FROM chart_snapshots WHERE launch_id = $1', [session.launch.launchId]);
  expect(rows).toHaveLength(1);
  const raw = JSON.stringify(rows[0]);
  expect(raw).not.toContain(name);
  expect(raw).not.toContain(context.context.patient.birthDate as string);
  expect(rows[0]?.sha256).toBe(context.chartRead.sha256);

  const discussion = (await call(system, session, 'GET', session.api)).body.discussion;
  expect(discussion.chartRead).toEqual(context.chartRead);

  const ended = await session.launch.agent.request(`${system.appUrl}/api/launches/${session.launch.launchId}/end`, {
    method: 'POST', headers: { origin: system.appUrl, 'x-csrf-token': session.csrf },
  });
  expect(ended.status).toBe(204);
  expect(await system.db.query('SELECT 1 FROM chart_snapshots WHERE launch_id = $1', [session.launch.launchId])).toHaveLength(0);
});

test('an expired launch takes its snapshot with it when the store is purged', async () => {
  const session = await openLaunch(system, PATIENT, 'generic');
  await system.db.query("UPDATE launch_sessions SET expires_at = now() - interval '1 minute' WHERE launch_id = $1", [session.launch.launchId]);
  await system.db.query('DELETE FROM launch_sessions WHERE expires_at <= now()');
  expect(await system.db.query('SELECT 1 FROM chart_snapshots WHERE launch_id = $1', [session.launch.launchId])).toHaveLength(0);
});

test('Refresh from the chart reads one wave and says what changed: a new blood thinner and its bleeding flag', async () => {
  const session = await openLaunch(system, PATIENT, 'generic');
  const base = `${system.appUrl}/api/launches/${session.launch.launchId}`;
  const before = (await call(system, session, 'GET', `${base}/context`)).body;
  const unchanged = await ehrRequestsOf(system, () => call(system, session, 'POST', `${base}/chart/refresh`, {}));
  expect(unchanged.result.status).toBe(200);
  expect(unchanged.result.body.changes.none).toBe(true);
  expect(unchanged.requests).toBe(readsInWave(before.context));

  const order: MedicationRequest = {
    resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${PATIENT}` },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1364445', display: 'apixaban 5 MG Oral Tablet' }], text: 'apixaban 5 MG Oral Tablet' },
  };
  await system.sandbox!.sandbox.repo.createResource(order as never);
  const refreshed = await call(system, session, 'POST', `${base}/chart/refresh`, {});
  expect(refreshed.status).toBe(200);
  const { changes } = refreshed.body;
  expect(changes.none).toBe(false);
  expect(changes.medicationsAdded.map((m: { display: string }) => m.display)).toEqual(['apixaban 5 MG Oral Tablet']);
  expect(changes.flagsRaised.map((f: { id: string }) => f.id)).toContain('antithrombotic-bleeding-risk');
  const discussion = (await call(system, session, 'GET', session.api)).body.discussion;
  expect(discussion.flagsShown.map((f: { id: string }) => f.id)).toContain('antithrombotic-bleeding-risk');
  expect(discussion.chartRead.sha256).toBe(refreshed.body.chartRead.sha256);
  expect(discussion.chartRead.sha256).not.toBe(before.chartRead.sha256);
});
