import { ehrRequestsOf } from '../support/ehr-requests';
import { call, openLaunch } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Nothing the clinician entered is lost: not when the EHR goes down mid-discussion, not when the app restarts.
 */
let first: TestSystem;
let second: TestSystem | undefined;

beforeAll(async () => {
  first = await startTestSystem();
});

afterAll(async () => {
  if (second === undefined) {
    await first.close();
    return;
  }
  // The first instance was stopped in the test (keeping its store and the sandbox) for the second to take over.
  await second.close();
  await first.sandbox?.close();
});

async function ehrOutage(system: TestSystem, on: boolean): Promise<void> {
  const url = `${system.sandboxUrl}/simulator/faults`;
  const response = on
    ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'sec-fetch-site': 'same-origin' }, body: JSON.stringify({ fault: 'unavailable', scope: 'read', count: 100 }) })
    : await fetch(url, { method: 'DELETE', headers: { 'sec-fetch-site': 'same-origin' } });
  expect(response.ok).toBe(true);
}

test('answers, notes and dismissals survive an EHR outage and an app restart', async () => {
  const session = await openLaunch(first, 'sleep-apnoea-benzodiazepine-patient', 'generic');
  const view = (await call(first, session, 'GET', session.api)).body;
  const flagsBefore = view.discussion.flagsShown.map((f: { id: string }) => f.id);
  expect(flagsBefore.length).toBeGreaterThan(0);
  const textItem = view.checklist.items.find((i: { kind: string; filledBy?: string }) => i.kind === 'text' && i.filledBy !== 'app');
  const confirmItem = view.checklist.items.find((i: { kind: string }) => i.kind === 'confirm');
  let saved = await call(first, session, 'PUT', `${session.api}/answers`, {
    version: view.discussion.version,
    answers: { [textItem.id]: { value: 'Riverside Pain Clinic' }, [confirmItem.id]: { value: true } },
  });
  saved = await call(first, session, 'POST', `${session.api}/notes`, { version: saved.body.discussion.version, text: 'Patient asked about swimming.' });
  saved = await call(first, session, 'POST', `${session.api}/flags/${flagsBefore[0]}/dismiss`, { version: saved.body.discussion.version, reason: 'Discussed last week' });
  expect(saved.status).toBe(200);

  // The EHR goes down and the clinician refreshes from the chart: the chart cannot be read, but the draft is shown
  // as it was and can still be edited.
  await ehrOutage(first, true);
  const refreshed = await call(first, session, 'POST', `${first.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {});
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.changes.readsChanged).toContainEqual({ read: 'conditions', before: 'ok', after: 'failed' });
  const chart = await call(first, session, 'GET', `${first.appUrl}/api/launches/${session.launch.launchId}/context`);
  expect(chart.body.context.reads.conditions.state).toBe('failed');
  const during = await call(first, session, 'GET', session.api);
  expect(during.status).toBe(200);
  expect(during.body.discussion.answers[textItem.id].value).toBe('Riverside Pain Clinic');
  expect(during.body.discussion.flagsShown.map((f: { id: string }) => f.id)).toEqual(flagsBefore);
  const edited = await call(first, session, 'PUT', `${session.api}/answers`, {
    version: during.body.discussion.version,
    answers: { ...during.body.discussion.answers, [textItem.id]: { value: 'Riverside Pain Clinic, building B' } },
  });
  expect(edited.status).toBe(200);
  await ehrOutage(first, false);

  // The app restarts on the same store; the same browser (cookie) continues the same launch.
  await first.close({ keepSandbox: true, keepData: true });
  second = await startTestSystem({ PORT: new URL(first.appUrl).port }, { dataDir: first.dataDir, sandbox: first.sandbox! });
  // The new instance serves the launch from the snapshot in the store: no chart read.
  const served = await ehrRequestsOf(second, () => call(second!, session, 'GET', `${second!.appUrl}/api/launches/${session.launch.launchId}/context`));
  expect(served.result.status).toBe(200);
  expect(served.requests).toBe(0);
  const after = await call(second, session, 'GET', session.api);
  expect(after.status).toBe(200);
  const d = after.body.discussion;
  expect(d.answers[textItem.id].value).toBe('Riverside Pain Clinic, building B');
  expect(d.answers[confirmItem.id].value).toBe(true);
  expect(d.clinicianNotes.map((n: { text: string }) => n.text)).toEqual(['Patient asked about swimming.']);
  expect(d.dismissedFlags.map((f: { flagId: string; reason: string }) => [f.flagId, f.reason])).toEqual([[flagsBefore[0], 'Discussed last week']]);
});
