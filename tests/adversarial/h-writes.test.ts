import type { DocumentReference } from '@medplum/fhirtypes';
import { classifyCreateAnswer } from '../../server/writeback/ehr-writer';
import { clearCapabilityCache, conditionalCreateFor, conditionalCreateTypes } from '../../server/writeback/capability';
import type { WriteAnswer, WriteSettings } from '../../server/writeback/fhir-write';
import type { AttestedSession } from '../support/filing-helpers';
import {
  attestedDiscussion,
  call,
  clearFaults,
  fileNote,
  filingState,
  notesInChart,
  openLaunch,
  postsSince,
  queueFault,
  waitForFiling,
} from '../support/filing-helpers';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The security reviewer's group H (security-reliability.md §6): writes to the EHR. Over the real system (app +
 * sandbox EHR in generic, Epic and Oracle modes, real launches, PGlite store): exactly one note whatever the
 * clinician, the network or the EHR does. "Exactly one" is checked in the EHR itself: the notes in the sandbox
 * chart that carry the discussion's id, and the POSTs the sandbox received. What one answer means (H5) and when
 * `If-None-Exist` is sent (H7) are also checked against a recording server, where any answer can be staged.
 */
let system: TestSystem;
let server: RecordingServer;

beforeAll(async () => {
  system = await startTestSystem();
  server = await startRecordingServer();
});

afterEach(async () => {
  await clearFaults(system);
  clearCapabilityCache();
});

afterAll(async () => {
  await server.close();
  await system.close();
});

const statuses = (since: number, patient: string): number[] => postsSince(system, patient, since).map((entry) => entry.status);

async function fileAndSettle(s: AttestedSession): Promise<Record<string, any>> {
  const answer = await fileNote(system, s);
  expect([200, 202]).toContain(answer.status);
  return waitForFiling(system, s, s.discussionId);
}

test('H1: three clicks at once in one tab (generic): one intent, one POST, one note', async () => {
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
])('H1: two tabs of the same chart file the same discussion at once (%s, no conditional create): one note', async (vendor, patient) => {
  const since = Date.now();
  const tab1 = await attestedDiscussion(system, patient, vendor);
  const tab2 = await openLaunch(system, patient, vendor);
  const [a, b] = await Promise.all([fileNote(system, tab1), call(system, tab2, 'POST', `${tab2.api}/file`, { discussionId: tab1.discussionId })]);
  expect(b.body.intentId).toBe(a.body.intentId);
  expect((await waitForFiling(system, tab2, tab1.discussionId)).state).toBe('confirmed');
  expect(await notesInChart(system, patient, tab1.discussionId)).toHaveLength(1);
  expect(statuses(since, patient)).toEqual([201]);
});

test.each([
  ['epic', 'psychosis-ziconotide-patient'],
  ['oracle', 'spanish-speaker-patient'],
])('H2: %s: drop-after-store → unknown → search finds the note → reconciled, one POST, one note', async (vendor, patient) => {
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

test('H2: a 500 (nothing stored) is not re-sent blindly either: the chart is searched, found empty, and only then sent again', async () => {
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

const sentInLedger = async (running: TestSystem, discussionId: string): Promise<boolean> => {
  const rows = await running.db.query<{ state: string }>('SELECT state FROM write_intents WHERE discussion_id = $1', [discussionId]);
  return rows[0]?.state === 'sent';
};

test('H2: the app restarted between "sent" and the answer: the new instance\'s recovery sweep reconciles the note it finds in the chart: one note, one POST', async () => {
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

test.each([
  ['429 with Retry-After seconds', 'epic', 'arabic-rtl-name-patient', { fault: 'rate-limit', retryAfter: 1 }, 429],
  ['429 with Retry-After as an HTTP date', 'oracle', 'diabetes-hba1c-patient', { fault: 'rate-limit', retryAfter: 'http-date', retryAfterSeconds: 1 }, 429],
  ['503 with Retry-After', 'generic', 'minimal-data-patient', { fault: 'unavailable', retryAfter: 1 }, 503],
] as const)('H3: %s (%s): waits as asked, then files once', async (_name, vendor, patient, fault, status) => {
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

test('H4: a 401 on the POST is refreshed once and sent once more', async () => {
  const patient = 'spanish-speaker-patient';
  const since = Date.now();
  const s = await attestedDiscussion(system, patient, 'generic');
  await queueFault(system, { fault: 'unauthorized', patient });
  expect(await fileAndSettle(s)).toMatchObject({ state: 'confirmed', attempts: 2 });
  expect(statuses(since, patient)).toEqual([401, 201]);
  expect(system.logLines.some((l) => l.includes('token.refreshed'))).toBe(true);
});

test('H4: a 401 twice: relaunch needed, the record is kept, and the relaunch files it once without re-entering anything', async () => {
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

test('H5: Epic refuses a note whose encounter no longer exists: failed with the EHR\'s reason, never retried', async () => {
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

test('H3: bounded: an EHR that keeps answering 429 gets five sends, then the filing waits (pending) with nothing stored', async () => {
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

test.each([
  ['generic', 'anticoagulant-patient'],
  ['epic', 'antiplatelet-patient'],
  ['oracle', 'diabetes-hba1c-patient'],
])('H6: %s: one POST, confirmed by reading it back; the id comes from Location, absolute or relative, with or without a body', async (vendor, patient) => {
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

test('H8: 200 "already there": the ledger lost its row, the EHR matches the identifier, no second note', async () => {
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

test('H8: 412 "several match": failed and flagged, nothing added', async () => {
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

test('H9: an attachment over the tenant\'s size limit is refused with a clear error before anything is recorded or sent', async () => {
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

test.each([
  ['epic', 'and an empty body', 'stent-dual-antiplatelet-patient'],
  ['generic', 'but the note in the body', 'chinese-speaker-patient'],
])('H6: %s answers 201 without a Location %s: one POST, and the id recorded is the note the chart holds', async (vendor, _answer, patient) => {
  const since = Date.now();
  const s = await attestedDiscussion(system, patient, vendor);
  await queueFault(system, { fault: 'no-location', patient });
  const state = await fileAndSettle(s);
  expect(state).toMatchObject({ filed: true, final: true, attempts: 1 });
  const notes = await notesInChart(system, patient, s.discussionId);
  expect(notes.map((n) => n.id)).toEqual([state.documentId]);
  const posts = postsSince(system, patient, since);
  expect(posts).toHaveLength(1);
  expect(posts[0]).toMatchObject({ status: 201, fault: 'no-location', answered: true });
});

const BASE = 'https://ehr.example.org/fhir';

function answer(status: number, headers: Record<string, string> = {}, text?: string): WriteAnswer {
  return { kind: 'answer', status, headers: new Headers(headers), text };
}

/** Oracle-style: a warning, then the business rule broken, in the EHR's words (which may quote the chart). */
const OUTCOME = JSON.stringify({
  resourceType: 'OperationOutcome',
  issue: [
    { severity: 'warning', code: 'informational', diagnostics: 'ignored warning' },
    { severity: 'error', code: 'required', expression: ['DocumentReference.context.encounter'], diagnostics: 'Encounter is required for Mrs Canary-Patient' },
  ],
});

test.each([400, 422])('H5: %d is refused for good with a readable reason for the clinician, and a PHI-free one for logs', (status) => {
  const outcome = classifyCreateAnswer(answer(status, {}, OUTCOME), BASE, false);
  expect(outcome).toMatchObject({ kind: 'rejected', status, code: 'rejected' });
  const summary = outcome.kind === 'rejected' ? outcome.summary : undefined;
  expect(summary?.safe).toBe(`HTTP ${status}: required at DocumentReference.context.encounter`);
  expect(summary?.safe).not.toContain('Canary');
  expect(summary?.readable).toBe('Encounter is required for Mrs Canary-Patient (DocumentReference.context.encounter)');
});

test('H5: a refusal without an OperationOutcome still says which status', () => {
  const outcome = classifyCreateAnswer(answer(422, {}, '<html>nope</html>'), BASE, false);
  expect(outcome.kind === 'rejected' ? outcome.summary : undefined).toEqual({ safe: 'HTTP 422', readable: undefined });
});

test.each([
  ['epic', 'osa-triple-cns-depressants-patient'],
  ['oracle', 'chinese-speaker-patient'],
] as const)('H7: %s says it has no conditional create; the app relies on its ledger alone: two tabs and a double click make one POST', async (vendor, patient) => {
  const base = system.sandbox!.sandbox.fhirBaseUrls[vendor];
  const statement = (await (await fetch(`${base}/metadata`)).json()) as { rest: Array<{ resource: Array<{ type: string; conditionalCreate?: boolean }> }> };
  const declared = statement.rest.flatMap((r) => r.resource).find((r) => r.type === 'DocumentReference');
  expect(declared?.conditionalCreate).not.toBe(true);
  const since = Date.now();
  const tab1 = await attestedDiscussion(system, patient, vendor);
  const tab2 = await openLaunch(system, patient, vendor);
  const answers = await Promise.all([fileNote(system, tab1), fileNote(system, tab1), call(system, tab2, 'POST', `${tab2.api}/file`, { discussionId: tab1.discussionId })]);
  expect(new Set(answers.map((a) => a.body.intentId)).size).toBe(1);
  expect((await waitForFiling(system, tab1, tab1.discussionId)).filed).toBe(true);
  expect(await notesInChart(system, patient, tab1.discussionId)).toHaveLength(1);
  expect(statuses(since, patient)).toEqual([201]);
});

test('H7: the generic server\'s CapabilityStatement is read before its first write (conditional create only where advertised)', async () => {
  clearCapabilityCache();
  const metadataPath = `${new URL(system.sandbox!.sandbox.fhirBaseUrls.generic).pathname}/metadata`;
  const reads = (): number => system.sandbox!.requests().filter((r) => r.method === 'GET' && r.path === metadataPath).length;
  const before = reads();
  const s = await attestedDiscussion(system, 'osa-triple-cns-depressants-patient', 'generic');
  expect((await fileAndSettle(s)).filed).toBe(true);
  expect(reads()).toBe(before + 1);
});

const IDENTIFIER = 'urn:uuid:3f0c1a52-8d5e-4b7a-9c21-6e4f0b9d2a17';

function metadata(conditionalCreate: boolean | undefined, status = 200): void {
  server.handle((_request, response) => {
    const statement = {
      resourceType: 'CapabilityStatement',
      rest: [{ mode: 'server', resource: [{ type: 'DocumentReference', ...(conditionalCreate === undefined ? {} : { conditionalCreate }) }, { type: 'Patient', conditionalCreate: true }] }],
    };
    response.writeHead(status, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(statement));
  });
}

const settingsFor = (): WriteSettings => ({ baseUrl: `${server.origin}/fhir`, getAccessToken: () => Promise.resolve('t'), timeoutMs: 2_000, maxBytes: 100_000, fetchImpl: fetch });

test('H7: a US Core server advertising conditionalCreate gets the identifier condition', async () => {
  metadata(true);
  expect(await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER)).toBe(`identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${IDENTIFIER}`)}`);
});

test.each([
  ['says false', false, 200],
  ['says nothing', undefined, 200],
  ['cannot be read', true, 500],
])('H7: a server whose statement %s gets no If-None-Exist', async (_name, flag, status) => {
  metadata(flag, status);
  expect(await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER)).toBeUndefined();
});

test.each(['epic', 'oracle'] as const)('H7: the %s profile never sends If-None-Exist, whatever the server says, and never reads the statement', async (profile) => {
  metadata(true);
  const before = server.requests.length;
  expect(await conditionalCreateFor(settingsFor(), profile, IDENTIFIER)).toBeUndefined();
  expect(server.requests.length).toBe(before);
});

test('H7: the statement is read once per base, then cached', async () => {
  metadata(true);
  const before = server.requests.length;
  await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
  await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
  await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
  expect(server.requests.slice(before).map((r) => r.url)).toEqual(['/fhir/metadata']);
});

test('H7: only what is advertised as true counts as conditional create', () => {
  expect([...conditionalCreateTypes({ resourceType: 'CapabilityStatement', rest: [{ resource: [{ type: 'A', conditionalCreate: true }, { type: 'B', conditionalCreate: false }, { type: 'C' }] }] })]).toEqual(['A']);
  expect(conditionalCreateTypes({ resourceType: 'Patient' }).size).toBe(0);
  expect(conditionalCreateTypes(null).size).toBe(0);
});
