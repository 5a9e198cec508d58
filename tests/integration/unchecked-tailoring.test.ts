import { queueFault } from '../support/filing-helpers';
/**
 * No silent tailoring: when the EHR fails the Condition and Observation reads of the diabetic patient (HbA1c 8.1 %),
 * the infection-risk rule cannot fire. The clinician must be told what was not checked — in the handout tab, the
 * checklist and the filed note — and must confirm, per unchecked area, that they reviewed it before attesting.
 * Real system: the sandbox EHR fails the reads through its fault injection; the app reads the chart as it would.
 */
import { loadHandoutPack } from '../../server/content/content-packs';
import { call, fileNote, notesInChart, openLaunch, waitForFiling } from '../support/filing-helpers';
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

/** The sandbox answers 500 to this patient's next read of `resourceType` (queueFault refuses anything but 201). */
const failNextRead = (resourceType: string): Promise<void> =>
  queueFault(system, { fault: 'server-error', scope: 'read', resourceType, patient: PATIENT, count: 1 });

afterEach(async () => {
  await fetch(`${system.sandboxUrl}/simulator/faults`, { method: 'DELETE', headers: { 'sec-fetch-site': 'same-origin' } });
});

type Item = { id: string; kind: string; filledBy?: string; requiredWhen?: unknown; appliesWhen?: string; options?: Array<{ code: string }> };

function firstValue(item: Item): boolean | string {
  if (item.kind === 'confirm') {
    return true;
  }
  return item.kind === 'choice' ? (item.options?.[0]?.code ?? '') : 'Recorded in the test.';
}

/** Every shown clinician item answered, the confirmations of the unchecked areas left out unless asked for. */
function answersFor(items: Item[], confirmUnchecked: boolean): Record<string, { value: boolean | string }> {
  const answers: Record<string, { value: boolean | string }> = {};
  for (const item of items.filter((i) => i.filledBy !== 'app' && i.requiredWhen === undefined)) {
    if (!confirmUnchecked && item.appliesWhen?.startsWith('unchecked-') === true) {
      continue;
    }
    answers[item.id] = { value: firstValue(item) };
  }
  return answers;
}

const CONDITIONS = /Conditions could not be read: [^.]*infection risk[^.]*bleeding risk|Conditions could not be read: [^.]*bleeding risk[^.]*infection risk/;
const OBSERVATIONS = /Lab results and pain scores could not be read: [^.]*infection risk[^.]*not checked from the chart/;

test('failed Condition and Observation reads are named in the handout, the checklist and the note, and block attestation until confirmed', async () => {
  await failNextRead('Condition');
  await failNextRead('Observation');
  const session = await openLaunch(system, PATIENT, 'generic');
  const base = `${system.appUrl}/api/launches/${session.launch.launchId}`;
  const context = (await call(system, session, 'GET', `${base}/context`)).body;
  expect(context.context.reads.conditions.state).toBe('failed');
  expect(context.context.reads.observations.state).toBe('failed');
  expect(context.context.reads.medicationRequests.state).toBe('ok');

  // The handout tab: the clinician's facts name each unchecked area; the printed handout tells the patient in plain words.
  const info = (await call(system, session, 'GET', `${base}/handout-info`)).body;
  const infoTexts = (info.uncheckedAreas as Array<{ read: string; text: string }>).map((a) => a.text);
  expect((info.uncheckedAreas as Array<{ read: string }>).map((a) => a.read).sort()).toEqual(['conditions', 'observations']);
  expect(infoTexts.join('\n')).toMatch(CONDITIONS);
  expect(infoTexts.join('\n')).toMatch(OBSERVATIONS);
  const preview = await (await session.launch.agent.request(`${system.appUrl}/app/${session.launch.launchId}/handout`, { headers: { accept: 'text/html' } })).text();
  expect(preview).toContain('data-notice="chart-not-read"');
  const notice = loadHandoutPack('en').notices.find((n) => n.id === 'chart-not-read');
  expect(notice?.text).toMatch(/could not read some parts of your health record/);
  expect(preview).toContain(notice?.text);

  // The checklist: the areas are on the discussion, each with a required confirmation item.
  const view = (await call(system, session, 'GET', session.api)).body;
  const areas = view.discussion.uncheckedAreas as Array<{ read: string; flag: string; text: string }>;
  expect(areas.map((a) => a.read).sort()).toEqual(['conditions', 'observations']);
  expect(areas.map((a) => a.text).join('\n')).toMatch(CONDITIONS);
  const items = view.checklist.items as Item[];
  const confirmations = items.filter((i) => i.appliesWhen?.startsWith('unchecked-') === true);
  expect(confirmations.map((i) => i.appliesWhen).sort()).toEqual(['unchecked-conditions', 'unchecked-observations']);
  expect(confirmations.every((i) => i.kind === 'confirm' && (i as Item & { required: boolean }).required)).toBe(true);

  // Attesting with everything else answered is refused, naming both areas; nothing entered is lost.
  const saved = await call(system, session, 'PUT', `${session.api}/answers`, { version: view.discussion.version, answers: answersFor(items, false) });
  expect(saved.status).toBe(200);
  const refused = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expect(refused.status).toBe(422);
  expect(refused.body.message).toMatch(/conditions/);
  expect(refused.body.message).toMatch(/lab results and pain scores/);
  expect((refused.body.details.uncheckedAreas as Array<{ read: string }>).map((a) => a.read).sort()).toEqual(['conditions', 'observations']);
  expect((refused.body.details.missing as Array<{ id: string }>).map((m) => m.id).sort()).toEqual(confirmations.map((i) => i.id).sort());

  // Confirming each area lets the discussion be attested; the confirmation is stored with it.
  const confirmed = await call(system, session, 'PUT', `${session.api}/answers`, { version: saved.body.discussion.version, answers: answersFor(items, true) });
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: confirmed.body.discussion.version });
  expect(attested.status).toBe(200);
  expect(attested.body.discussion.status).toBe('attested');
  for (const item of confirmations) {
    expect(attested.body.discussion.answers[item.id]).toEqual({ value: true });
  }

  // The filed note names what was not checked and that the clinician reviewed it.
  const discussionId = attested.body.discussion.id as string;
  const filed = await fileNote(system, { ...session, discussionId, patient: PATIENT });
  const final = filed.body.final === true ? filed.body : await waitForFiling(system, session, discussionId);
  expect(final.filed).toBe(true);
  const [note] = await notesInChart(system, PATIENT, discussionId);
  const text = Buffer.from(note?.content[0]?.attachment.data ?? '', 'base64').toString('utf8');
  expect(text).toContain('NOT CHECKED FROM THE CHART');
  expect(text).toMatch(CONDITIONS);
  expect(text).toMatch(OBSERVATIONS);
  expect(text).toMatch(/Reviewed in the chart by the clinician: yes/);
  expect(text).not.toContain('None: no tailoring applied to this patient.');
});

test('with every read answered, nothing is said to be unchecked and no confirmation is asked', async () => {
  const session = await openLaunch(system, PATIENT, 'generic');
  const view = (await call(system, session, 'GET', session.api)).body;
  expect(view.discussion.uncheckedAreas).toEqual([]);
  expect((view.checklist.items as Item[]).filter((i) => i.appliesWhen?.startsWith('unchecked-') === true)).toEqual([]);
  expect(view.discussion.flagsShown.map((f: { id: string }) => f.id)).toContain('diabetes-infection-risk');
  const info = (await call(system, session, 'GET', `${system.appUrl}/api/launches/${session.launch.launchId}/handout-info`)).body;
  expect(info.uncheckedAreas).toEqual([]);
  const preview = await (await session.launch.agent.request(`${system.appUrl}/app/${session.launch.launchId}/handout`, { headers: { accept: 'text/html' } })).text();
  expect(preview).not.toContain('data-notice="chart-not-read"');
});
