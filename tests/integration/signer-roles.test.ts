import type { ApiAnswer } from '../support/filing-helpers';
import { call, clearFaults, completedChecklist, fileNote, openLaunch, attestedDiscussion, queueFault, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Who may attest and file, over the real system: the sandbox's users carry coded qualifications (HL7 v2-0360 on the
 * Practitioner, NUCC taxonomy on the PractitionerRole) as an EHR's user records do. The physician and the nurse
 * practitioner may attest and file; the nurse and the compliance analyst may open the chart, print and prepare the
 * checklist, and are refused (403, the reason in words) by the server whatever the page shows.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

const PATIENT = 'anticoagulant-patient';

interface Refusal {
  error: string;
  message: string;
  details: { reason: string; roles: string[] };
}

function expectRefusedForRole(answer: ApiAnswer, words: RegExp): void {
  expect(answer.status).toBe(403);
  const body = answer.body as Refusal;
  expect(body.error).toBe('forbidden');
  expect(body.details.reason).toBe('role_may_not_attest');
  expect(body.message).toMatch(words);
}

test.each([
  ['itdd-dr-rivera', 'physician'],
  ['itdd-np-okafor', 'nurse-practitioner'],
])('%s (%s) prepares, attests and files the note', async (user, role) => {
  const session = await openLaunch(system, PATIENT, 'epic', user);
  const view = await call(system, session, 'GET', session.api);
  expect(view.body.permissions).toEqual({ attest: true, file: true, reason: null, roles: [role] });
  const saved = await completedChecklist(system, session);
  expect(saved.status).toBe(200);
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expect(attested.status).toBe(200);
  expect(attested.body.discussion.attestedBy).toBe(`${system.sandboxUrl}/epic/r4/Practitioner/${user}`);
  const discussionId = attested.body.discussion.id as string;
  const filed = await fileNote(system, { ...session, discussionId, patient: PATIENT });
  expect([200, 202]).toContain(filed.status);
  expect((await waitForFiling(system, session, discussionId)).filed).toBe(true);
});

test.each([
  ['itdd-rn-patel', /signed in as a nurse: you can prepare the checklist and print the handout/i, ['nurse']],
  ['itdd-compliance-brooks', /does not state a clinical qualification/i, []],
])('%s may prepare and print but not attest or file; nothing entered is lost', async (user, words, roles) => {
  const session = await openLaunch(system, PATIENT, 'generic', user);
  const view = await call(system, session, 'GET', session.api);
  expect(view.body.permissions).toMatchObject({ attest: false, file: false, roles });
  expect(view.body.permissions.reason).toMatch(words);

  // Preparing is allowed: the answers are saved.
  const saved = await completedChecklist(system, session);
  expect(saved.status).toBe(200);
  const answered = Object.keys(saved.body.discussion.answers as object).length;
  expect(answered).toBeGreaterThan(20);

  // Printing is allowed.
  const preview = await session.launch.agent.request(`${system.appUrl}/app/${session.launch.launchId}/handout`, { headers: { accept: 'text/html' } });
  expect(preview.status).toBe(200);
  expect(await preview.text()).toContain('Margaret Ann Ellison');

  // Attesting, filing and marking a note entered in error are not.
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expectRefusedForRole(attested, words);
  expectRefusedForRole(await call(system, session, 'POST', `${session.api}/file`, {}), words);
  expectRefusedForRole(await call(system, session, 'POST', `${session.api}/filing/entered-in-error`, { replace: true }), words);

  const after = await call(system, session, 'GET', session.api);
  expect(after.body.discussion.status).toBe('draft');
  expect(Object.keys(after.body.discussion.answers as object)).toHaveLength(answered);
});

test("a physician's filed note cannot be marked entered in error from a nurse's launch", async () => {
  const attested = await attestedDiscussion(system, PATIENT, 'generic');
  await fileNote(system, attested);
  expect((await waitForFiling(system, attested, attested.discussionId)).filed).toBe(true);
  const nurse = await openLaunch(system, PATIENT, 'generic', 'itdd-rn-patel');
  const retract = await call(system, nurse, 'POST', `${nurse.api}/filing/entered-in-error`, { discussionId: attested.discussionId, replace: false });
  expectRefusedForRole(retract, /nurse/);
});

test('a physician whose user record could not be read at launch is told so, and "Refresh from the chart" lets her attest', async () => {
  // The EHR fails the read of her user record during the launch (a busy EHR, a circuit breaker open for a moment).
  await queueFault(system, { fault: 'server-error', scope: 'read', resourceType: 'Practitioner', count: 5 });
  let session: Awaited<ReturnType<typeof openLaunch>>;
  try {
    session = await openLaunch(system, PATIENT, 'generic', 'itdd-dr-rivera');
  } finally {
    await clearFaults(system);
  }
  const saved = await completedChecklist(system, session);
  const refused = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expectRefusedForRole(refused, /could not be read from the EHR/);
  expect(refused.body.message).toMatch(/Refresh from the chart/);

  const refreshed = await call(system, session, 'POST', `${system.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {});
  expect(refreshed.status).toBe(200);
  const view = await call(system, session, 'GET', session.api);
  expect(view.body.permissions).toMatchObject({ attest: true, file: true, roles: ['physician'] });
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: view.body.discussion.version });
  expect(attested.status).toBe(200);
  // Nothing entered before the refresh was lost.
  expect(attested.body.discussion.answers).toMatchObject(saved.body.discussion.answers as object);
});
