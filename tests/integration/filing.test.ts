import type { DocumentReference } from '@medplum/fhirtypes';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';
import type { AttestedSession } from '../support/filing-helpers';
import {
  attestedDiscussion,
  call,
  clearFaults,
  completedChecklist,
  fileNote,
  filingState,
  notesInChart,
  openLaunch,
  postsSince,
  queueFault,
  waitForFiling,
} from '../support/filing-helpers';

/**
 * Filing a discussion note to the chart over the real system (app + sandbox EHR in generic, Epic and Oracle modes,
 * real launches, PGlite store): exactly one note whatever the clinician, the network or the EHR does
 * (security-reliability.md §6 H1–H9). "Exactly one" is checked in the EHR itself: the notes in the sandbox chart
 * that carry the discussion's id, and the POSTs the sandbox received.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterEach(async () => {
  await clearFaults(system);
});

afterAll(async () => {
  await system.close();
});

const statuses = (since: number, patient: string): number[] => postsSince(system, patient, since).map((entry) => entry.status);

async function fileAndSettle(s: AttestedSession): Promise<Record<string, any>> {
  const answer = await fileNote(system, s);
  expect([200, 202]).toContain(answer.status);
  return waitForFiling(system, s, s.discussionId);
}

describe('a discussion is filed once, in the shape each EHR takes', () => {
  test.each([
    ['generic', 'anticoagulant-patient'],
    ['epic', 'antiplatelet-patient'],
    ['oracle', 'diabetes-hba1c-patient'],
  ])('%s: one POST, confirmed by reading it back; the id comes from Location, absolute or relative, with or without a body (H6)', async (vendor, patient) => {
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, vendor);
    const answer = await fileNote(system, s);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ discussionId: s.discussionId, state: 'confirmed', final: true, filed: true, attempts: 1 });
    const notes = await notesInChart(system, patient, s.discussionId);
    expect(notes.map((n) => n.id)).toEqual([answer.body.documentId]);
    expect(statuses(since, patient)).toEqual([201]);
    const [note] = notes as [DocumentReference];
    const types = note.content.map((c) => c.attachment.contentType);
    const expected = { generic: ['text/plain;charset=utf-8', 'application/pdf'], epic: ['text/plain'], oracle: ['text/plain;charset=utf-8'] }[vendor];
    expect(types).toEqual(expected);
    expect(note.docStatus).toBe(vendor === 'epic' ? 'preliminary' : 'final');
    expect(note.author?.[0]?.reference).toBe('Practitioner/itdd-dr-rivera');
    expect(note.context?.encounter?.[0]?.reference).toBe(`Encounter/${patient.replace(/-patient$/, '-encounter')}`);
    expect(Boolean(note.identifier?.length)).toBe(vendor !== 'oracle');
  });

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

describe('H1: double submit and two tabs file one note', () => {
  test('three clicks at once in one tab (generic): one intent, one POST, one note', async () => {
    const since = Date.now();
    const s = await attestedDiscussion(system, 'sleep-apnoea-benzodiazepine-patient', 'generic');
    const answers = await Promise.all([fileNote(system, s), fileNote(system, s), fileNote(system, s)]);
    expect(new Set(answers.map((a) => a.body.intentId)).size).toBe(1);
    expect((await waitForFiling(system, s, s.discussionId)).state).toBe('confirmed');
    expect(await notesInChart(system, s.patient, s.discussionId)).toHaveLength(1);
    expect(statuses(since, s.patient)).toEqual([201]);
  });

  test.each([
    ['epic', 'cancer-pain-high-dose-opioids-patient'],
    ['oracle', 'baclofen-pump-patient'],
  ])('two tabs of the same chart file the same discussion at once (%s, no conditional create): one note', async (vendor, patient) => {
    const since = Date.now();
    const tab1 = await attestedDiscussion(system, patient, vendor);
    const tab2 = await openLaunch(system, patient, vendor);
    const [a, b] = await Promise.all([fileNote(system, tab1), call(system, tab2, 'POST', `${tab2.api}/file`, { discussionId: tab1.discussionId })]);
    expect(b.body.intentId).toBe(a.body.intentId);
    expect((await waitForFiling(system, tab2, tab1.discussionId)).state).toBe('confirmed');
    expect(await notesInChart(system, patient, tab1.discussionId)).toHaveLength(1);
    expect(statuses(since, patient)).toEqual([201]);
  });
});

describe('H2: an answer lost after the EHR stored the note is reconciled, never re-sent', () => {
  test.each([
    ['epic', 'psychosis-ziconotide-patient'],
    ['oracle', 'spanish-speaker-patient'],
  ])('%s: drop-after-store → unknown → search finds the note → reconciled, one POST, one note', async (vendor, patient) => {
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, vendor);
    await queueFault(system, { fault: 'drop-after-store', patient });
    const state = await fileAndSettle(s);
    expect(state).toMatchObject({ state: 'reconciled', filed: true, attempts: 1 });
    const notes = await notesInChart(system, patient, s.discussionId);
    expect(notes.map((n) => n.id)).toEqual([state.documentId]);
    const posts = postsSince(system, patient, since);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ fault: 'drop-after-store', answered: false });
  });

  test('a 500 (nothing stored) is not re-sent blindly either: the chart is searched, found empty, and only then sent again', async () => {
    const patient = 'html-hostile-name-patient';
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, 'generic');
    await queueFault(system, { fault: 'server-error', patient });
    const state = await fileAndSettle(s);
    expect(state).toMatchObject({ state: 'confirmed', attempts: 2 });
    expect(statuses(since, patient)).toEqual([500, 201]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
    const transitions = system.logLines.filter((l) => l.includes('writeback.transition')).map((l) => JSON.parse(l) as Record<string, string>);
    const steps = transitions.filter((t) => t.intent === String(state.intentId).slice(0, 8)).map((t) => t.step);
    expect(steps).toEqual(['send', 'lose', 'found-none', 'send', 'created', 'confirm']);
  });
});

describe('H3: "not now" from the EHR is waited out, bounded', () => {
  test.each([
    ['429 with Retry-After seconds', 'epic', 'arabic-rtl-name-patient', { fault: 'rate-limit', retryAfter: 1 }, 429],
    ['429 with Retry-After as an HTTP date', 'oracle', 'diabetes-hba1c-patient', { fault: 'rate-limit', retryAfter: 'http-date', retryAfterSeconds: 1 }, 429],
    ['503 with Retry-After', 'generic', 'minimal-data-patient', { fault: 'unavailable', retryAfter: 1 }, 503],
  ] as const)('%s (%s): waits as asked, then files once', async (_name, vendor, patient, fault, status) => {
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, vendor);
    await queueFault(system, { ...fault, patient });
    const state = await fileAndSettle(s);
    expect(state).toMatchObject({ state: 'confirmed', attempts: 2 });
    const posts = postsSince(system, patient, since);
    expect(posts.map((p) => p.status)).toEqual([status, 201]);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
  });
});

describe('H4: a 401 on the POST', () => {
  test('is refreshed once and sent once more', async () => {
    const patient = 'spanish-speaker-patient';
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, 'generic');
    await queueFault(system, { fault: 'unauthorized', patient });
    expect(await fileAndSettle(s)).toMatchObject({ state: 'confirmed', attempts: 2 });
    expect(statuses(since, patient)).toEqual([401, 201]);
    expect(system.logLines.some((l) => l.includes('token.refreshed'))).toBe(true);
  });

  test('twice: relaunch needed, the record is kept, and the relaunch files it once without re-entering anything', async () => {
    const patient = 'antiplatelet-patient';
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, 'epic');
    await queueFault(system, { fault: 'unauthorized', patient, count: 2 });
    const answer = await fileNote(system, s);
    expect(answer.body).toMatchObject({ state: 'pending', relaunchNeeded: true, lastError: { code: 'relaunch_needed' }, attempts: 2 });
    expect(statuses(since, patient)).toEqual([401, 401]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(0);
    const relaunched = await openLaunch(system, patient, 'epic');
    await call(system, relaunched, 'GET', relaunched.api);
    const shown = await call(system, relaunched, 'GET', `${relaunched.api}/filing`);
    expect(shown.body.discussionId).toBe(s.discussionId);
    const state = await waitForFiling(system, relaunched, s.discussionId);
    expect(state).toMatchObject({ state: 'confirmed', intentId: answer.body.intentId, attempts: 3 });
    expect(statuses(since, patient)).toEqual([401, 401, 201]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
  });
});

describe('H5: a refusal by an EHR rule is final', () => {
  test('Epic refuses a note whose encounter no longer exists: failed with the EHR\'s reason, never retried', async () => {
    const patient = 'medication-references-patient';
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, 'epic');
    await system.sandbox?.sandbox.repo.deleteResource('Encounter', 'medication-references-encounter');
    const answer = await fileNote(system, s);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ state: 'failed', final: true, filed: false, attempts: 1, lastError: { code: 'rejected' } });
    expect(answer.body.lastError.message).toContain('HTTP 400');
    expect(answer.body.ehrMessage).toMatch(/encounter/i);
    expect((await fileNote(system, s)).body).toMatchObject({ intentId: answer.body.intentId, state: 'failed' });
    expect(statuses(since, patient)).toEqual([400]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(0);
  });

  test('bounded: an EHR that keeps answering 429 gets five sends, then the filing waits (pending) with nothing stored', async () => {
    const patient = 'medication-references-patient';
    const since = Date.now();
    const s = await attestedDiscussion(system, patient, 'generic');
    await queueFault(system, { fault: 'rate-limit', patient, count: 5, retryAfter: 0 });
    const answer = await fileNote(system, s);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ state: 'pending', final: false, attempts: 5, lastError: { code: 'ehr_busy' } });
    expect(statuses(since, patient)).toEqual([429, 429, 429, 429, 429]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(0);
  });
});

describe('H8: conditional create (generic US Core server)', () => {
  test('200 "already there": the ledger lost its row, the EHR matches the identifier, no second note', async () => {
    const patient = 'anticoagulant-patient';
    const s = await attestedDiscussion(system, patient, 'generic');
    const first = await fileNote(system, s);
    await system.db.query('DELETE FROM write_intents WHERE discussion_id = $1', [s.discussionId]);
    const since = Date.now();
    const again = await fileNote(system, s);
    expect(again.body).toMatchObject({ state: 'confirmed', documentId: first.body.documentId });
    expect(again.body.intentId).not.toBe(first.body.intentId);
    expect(statuses(since, patient)).toEqual([200]);
    expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
  });

  test('412 "several match": failed and flagged, nothing added', async () => {
    const patient = 'html-hostile-name-patient';
    const s = await attestedDiscussion(system, patient, 'generic');
    const repo = system.sandbox!.sandbox.repo;
    for (const n of [1, 2]) {
      await repo.createResource<DocumentReference>({
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patient}` },
        identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${s.discussionId}` }],
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(`copy ${n}`).toString('base64') } }],
      });
    }
    const since = Date.now();
    const answer = await fileNote(system, s);
    expect(answer.body).toMatchObject({ state: 'failed', lastError: { code: 'duplicates_matched' } });
    expect(statuses(since, patient)).toEqual([412]);
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

describe('H9: an attachment over the tenant\'s size limit', () => {
  test('is refused with a clear error before anything is recorded or sent', async () => {
    const small = await startTestSystem({ WRITE_MAX_ATTACHMENT_BYTES: '4096' });
    try {
      const s = await attestedDiscussion(small, 'anticoagulant-patient', 'generic');
      const answer = await fileNote(small, s);
      expect(answer.status).toBe(422);
      expect(answer.body.message).toMatch(/handout PDF is too large for this EHR \(\d+ KB; the limit is 4 KB\), so nothing was sent/);
      expect(answer.body.details).toMatchObject({ reason: 'attachment_too_large', limit: 4096 });
      expect(await filingState(small, s, s.discussionId)).toMatchObject({ state: 'none' });
      expect(small.sandbox!.sandboxWriteLog()).toHaveLength(0);
    } finally {
      await small.close();
    }
  });
});

describe('the app restarted between "sent" and the answer', () => {
  const sentInLedger = async (running: TestSystem, discussionId: string): Promise<boolean> => {
    const rows = await running.db.query<{ state: string }>('SELECT state FROM write_intents WHERE discussion_id = $1', [discussionId]);
    return rows[0]?.state === 'sent';
  };

  test('the new instance\'s recovery sweep reconciles the note it finds in the chart: one note, one POST', async () => {
    const first = await startTestSystem();
    let second: TestSystem | undefined;
    try {
      const patient = 'anticoagulant-patient';
      const s = await attestedDiscussion(first, patient, 'epic');
      await queueFault(first, { fault: 'slow', patient, delayMs: 60_000 });
      const since = Date.now();
      const request = fileNote(first, s).catch(() => 'connection closed');
      for (let i = 0; i < 100 && !((await sentInLedger(first, s.discussionId)) && (await notesInChart(first, patient, s.discussionId)).length === 1); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await sentInLedger(first, s.discussionId)).toBe(true);
      await first.close({ keepSandbox: true, keepData: true });
      expect(await request).toBe('connection closed');
      expect(await sentInLedger(first, s.discussionId).catch(() => 'closed')).toBe('closed');

      second = await startTestSystem({ PORT: new URL(first.appUrl).port }, { dataDir: first.dataDir, sandbox: first.sandbox! });
      const state = await waitForFiling(second, s, s.discussionId);
      expect(state).toMatchObject({ state: 'reconciled', filed: true, attempts: 1 });
      const notes = await notesInChart(second, patient, s.discussionId);
      expect(notes.map((n) => n.id)).toEqual([state.documentId]);
      expect(postsSince(second, patient, since)).toHaveLength(1);
      const steps = second.logLines.filter((l) => l.includes('writeback.transition')).map((l) => (JSON.parse(l) as { step: string }).step);
      expect(steps).toEqual(['found-one']);
    } finally {
      await second?.close();
      await first.sandbox?.close();
    }
  });
});
