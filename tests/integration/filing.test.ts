import type { DocumentReference } from '@medplum/fhirtypes';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';
import { attestedDiscussion, call, completedChecklist, fileNote, filingState, openLaunch, postsSince, waitForFiling } from '../support/filing-helpers';

/**
 * Filing a discussion note to the chart over the real system (app + sandbox EHR in generic, Epic and Oracle modes,
 * real launches, PGlite store): refiling, drafts and foreign discussions, the preview, entered-in-error and
 * replacement, and what the log holds. What the network or the EHR can do to a write (security-reliability.md §6
 * H1–H9) is in tests/adversarial/h-writes.test.ts.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

const statuses = (since: number, patient: string): number[] => postsSince(system, patient, since).map((entry) => entry.status);

describe('a discussion is filed once', () => {

  test('filing a filed discussion again answers the same note and sends nothing', async () => {
    const since = Date.now();
    const s = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
    const first = await fileNote(system, s);
    const again = await fileNote(system, s);
    expect(again.body).toMatchObject({ intentId: first.body.intentId, documentId: first.body.documentId, state: 'confirmed' });
    expect(await filingState(system, s, s.discussionId)).toMatchObject({ intentId: first.body.intentId, state: 'confirmed' });
    expect(statuses(since, 'anticoagulant-patient')).toEqual([201]);
  });

  test('a draft cannot be filed, and another clinician\'s or patient\'s discussion is not found', async () => {
    const draft = await openLaunch(system, 'anticoagulant-patient', 'generic');
    const view = (await completedChecklist(system, draft)).body; // saved (so it exists), not attested
    const refused = await call(system, draft, 'POST', `${draft.api}/file`, { discussionId: view.discussion.id });
    expect(refused.status).toBe(409);
    expect(refused.body.details.reason).toBe('not_attested');
    const other = await attestedDiscussion(system, 'antiplatelet-patient', 'generic');
    const foreign = await call(system, draft, 'POST', `${draft.api}/file`, { discussionId: other.discussionId });
    expect(foreign.status).toBe(404);
    expect((await call(system, { ...draft, csrf: 'wrong' }, 'POST', `${draft.api}/file`, { discussionId: view.discussion.id })).status).toBe(403);
    const state = await call(system, draft, 'GET', `${draft.api}/filing`);
    expect(state).toMatchObject({ status: 200, body: { discussionId: view.discussion.id, state: 'none', final: false, filed: false } });
  });
});

describe('what the clinician sees before and after filing', () => {
  test.each(['generic', 'epic', 'oracle'])('%s: the note preview is exactly the note filed; the filed state gives its document status', async (vendor) => {
    const s = await attestedDiscussion(system, 'antiplatelet-patient', vendor);
    const preview = await call(system, s, 'GET', `${s.api}/note-preview?discussionId=${s.discussionId}`);
    expect(preview.status).toBe(200);
    expect(preview.body.text).toContain('INTRATHECAL DRUG PUMP: EDUCATION AND CONSENT DISCUSSION');
    const filed = await fileNote(system, s);
    const state = await waitForFiling(system, s, s.discussionId);
    expect(state.filed).toBe(true);
    const note = await system.sandbox!.sandbox.repo.readResource<DocumentReference>('DocumentReference', filed.body.documentId);
    const text = note.content.map((c) => c.attachment).find((a) => a.contentType?.startsWith('text/plain'));
    expect(Buffer.from(text?.data ?? '', 'base64').toString('utf8')).toBe(preview.body.text);
    expect(preview.body.docStatus).toBe(note.docStatus);
    expect(state.docStatus).toBe(note.docStatus);
    expect(state.docStatus).toBe(vendor === 'epic' ? 'preliminary' : 'final');
  });

  test('a draft has no note to preview', async () => {
    const draft = await openLaunch(system, 'anticoagulant-patient', 'oracle');
    const saved = (await completedChecklist(system, draft)).body;
    const refused = await call(system, draft, 'GET', `${draft.api}/note-preview?discussionId=${saved.discussion.id as string}`);
    expect(refused.status).toBe(409);
    expect(refused.body.details.reason).toBe('not_attested');
  });
});

describe('entered-in-error and replacement', () => {
  test('generic: the note is marked entered-in-error in the chart and a replacement relatesTo.replaces it', async () => {
    const patient = 'sleep-apnoea-benzodiazepine-patient';
    const s = await attestedDiscussion(system, patient, 'generic');
    const filed = await fileNote(system, s);
    const replaced = await call(system, s, 'POST', `${s.api}/filing/entered-in-error`, { discussionId: s.discussionId, replace: true, reason: 'Filed against the wrong encounter.' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ state: 'confirmed', replacesDocumentId: filed.body.documentId });
    expect(replaced.body.documentId).not.toBe(filed.body.documentId);
    const repo = system.sandbox!.sandbox.repo;
    expect((await repo.readResource<DocumentReference>('DocumentReference', filed.body.documentId)).status).toBe('entered-in-error');
    const replacement = await repo.readResource<DocumentReference>('DocumentReference', replaced.body.documentId);
    expect(replacement.relatesTo).toEqual([{ code: 'replaces', target: { reference: `DocumentReference/${filed.body.documentId}` } }]);
    expect(await filingState(system, s, s.discussionId)).toMatchObject({ intentId: replaced.body.intentId });
  });

  test('the replacement note says which note it replaces, who marked it in error and why; no reason, no change', async () => {
    const patient = 'morphine-allergy-patient';
    const s = await attestedDiscussion(system, patient, 'generic');
    const filed = await fileNote(system, s);
    const since = Date.now();
    for (const body of [{ discussionId: s.discussionId, replace: true }, { discussionId: s.discussionId, replace: true, reason: '  ' }]) {
      const refused = await call(system, s, 'POST', `${s.api}/filing/entered-in-error`, body);
      expect(refused.status).toBe(400);
    }
    expect(system.sandbox!.sandboxWriteLog().filter((e) => e.at >= since)).toHaveLength(0);
    const reason = 'Discussed with the wrong handout version; corrected.';
    const replaced = await call(system, s, 'POST', `${s.api}/filing/entered-in-error`, { discussionId: s.discussionId, replace: true, reason });
    expect(replaced.body).toMatchObject({ state: 'confirmed', replacesDocumentId: filed.body.documentId });
    const replacement = await system.sandbox!.sandbox.repo.readResource<DocumentReference>('DocumentReference', replaced.body.documentId);
    const text = Buffer.from(replacement.content[0]?.attachment.data ?? '', 'base64').toString('utf8');
    expect(text).toContain(`This note replaces note ${filed.body.documentId as string}, which was marked entered in error.`);
    expect(text).toContain(`Reason: ${reason}`);
    expect(text).toContain('Marked entered in error by: Elena Rivera, MD');
  });

  test('epic: marked entered-in-error without a replacement', async () => {
    const s = await attestedDiscussion(system, 'cancer-pain-high-dose-opioids-patient', 'epic');
    const filed = await fileNote(system, s);
    const answer = await call(system, s, 'POST', `${s.api}/filing/entered-in-error`, { discussionId: s.discussionId, reason: 'Filed against the wrong encounter.' });
    expect(answer.body).toMatchObject({ state: 'entered-in-error', documentId: filed.body.documentId });
    const note = await system.sandbox!.sandbox.repo.readResource<DocumentReference>('DocumentReference', filed.body.documentId);
    expect(note.status).toBe('entered-in-error');
  });

  test('oracle: refused in the app (Oracle\'s update takes no text/plain and ignores relatesTo); the note stays', async () => {
    const s = await attestedDiscussion(system, 'baclofen-pump-patient', 'oracle');
    const filed = await fileNote(system, s);
    const since = Date.now();
    const answer = await call(system, s, 'POST', `${s.api}/filing/entered-in-error`, { discussionId: s.discussionId, replace: true, reason: 'Filed against the wrong encounter.' });
    expect(answer.status).toBe(422);
    expect(answer.body.details.reason).toBe('vendor_does_not_allow');
    expect(system.sandbox!.sandboxWriteLog().filter((e) => e.at >= since)).toHaveLength(0);
    expect(await filingState(system, s, s.discussionId)).toMatchObject({ state: 'confirmed', documentId: filed.body.documentId });
  });
});

describe('what the operational log holds', () => {
  test('transitions by id and code only: no patient names, no note text', () => {
    const log = system.logLines.join('\n');
    expect(log).toContain('writeback.transition');
    for (const name of ['Ellison', 'Okafor', 'Marsh', 'Kowalski', 'Voss', 'Hartley', 'Brandt', 'Ñúñez', 'onerror', 'Whitfield']) {
      expect(log).not.toContain(name);
    }
    expect(log).not.toContain('Discussion ID');
    expect(log).not.toContain('INTRATHECAL DRUG PUMP');
  });
});

