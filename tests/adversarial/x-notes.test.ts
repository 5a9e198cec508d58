import { MAX_CLINICIAN_NOTES } from '../../server/consent/checklist-model';
import { call, completedChecklist, fileNote, openLaunch, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review finding X11: the store took 100 notes and the handout 20, and notes could not be removed, so the 21st note
 * broke the discussion for good (preview and PDF 400, an attested discussion never filed, every relaunch inheriting
 * the broken draft). Now the store refuses the note the handout could not print, and a draft's note can be removed.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

test('X11: the note one past the handout\'s limit is refused clearly; preview, PDF, removal, attestation and filing keep working', async () => {
  const session = await openLaunch(system, 'anticoagulant-patient', 'generic');
  let view = (await call(system, session, 'GET', session.api)).body;
  for (let n = 1; n <= MAX_CLINICIAN_NOTES; n += 1) {
    const added = await call(system, session, 'POST', `${session.api}/notes`, { version: view.discussion.version, text: `Note number ${n} for the patient.` });
    expect(added.status).toBe(200);
    view = added.body;
  }
  const refused = await call(system, session, 'POST', `${session.api}/notes`, { version: view.discussion.version, text: 'One note too many.' });
  expect(refused.status).toBe(422);
  expect(refused.body).toMatchObject({ details: { reason: 'too_many_notes' }, message: expect.stringContaining(String(MAX_CLINICIAN_NOTES)) });

  const preview = await session.launch.agent.request(`${system.appUrl}/app/${session.launch.launchId}/handout`);
  expect(preview.status).toBe(200);
  expect(await preview.text()).toContain(`Note number ${MAX_CLINICIAN_NOTES} for the patient.`);

  const first = (view.discussion.clinicianNotes as Array<{ id: string; text: string }>)[0];
  const removed = await call(system, session, 'POST', `${session.api}/notes/${first?.id ?? ''}/remove`, { version: view.discussion.version });
  expect(removed.status).toBe(200);
  expect(removed.body.discussion.clinicianNotes.map((n: { text: string }) => n.text)).not.toContain('Note number 1 for the patient.');
  const unknown = await call(system, session, 'POST', `${session.api}/notes/${first?.id ?? ''}/remove`, { version: removed.body.discussion.version });
  expect(unknown.status).toBe(404);

  const pdf = await session.launch.agent.request(`${system.appUrl}/api/launches/${session.launch.launchId}/handout.pdf`);
  expect(pdf.status).toBe(200);

  const saved = await completedChecklist(system, session);
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expect(attested.status).toBe(200);
  const afterAttest = await call(system, session, 'POST', `${session.api}/notes/${attested.body.discussion.clinicianNotes[0].id as string}/remove`, { version: attested.body.discussion.version });
  expect(afterAttest.status).toBe(409);
  const filed = await fileNote(system, { ...session, discussionId: attested.body.discussion.id as string, patient: 'anticoagulant-patient' });
  expect(filed.status).toBeLessThan(300);
  const state = await waitForFiling(system, session, attested.body.discussion.id as string);
  expect(state).toMatchObject({ final: true, state: 'confirmed' });
});
