/**
 * DocumentReference writes against the sandbox EHR in each vendor mode (research `ehr-writeback.md` §0, §1.1, §2.1):
 * the app's own builders' output is accepted, each vendor refusal is an OperationOutcome naming the element,
 * duplicates happen where the vendor allows them, and every injected fault behaves as a real EHR's failure would
 * (research `security-reliability.md` §6 H1–H9).
 */
import crypto from 'node:crypto';
import { parseSearchRequest } from '@medplum/core';
import type { Bundle, DocumentReference, OperationOutcome } from '@medplum/fhirtypes';
import type { DocumentReference as BuiltDocumentReference } from 'fhir/r4';
import type { DocumentReferenceInput, WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference } from '../../fhir-resources/document-reference';
import { pdfContent } from '../../fhir-resources/document-reference/core';
import { minimalPdf } from '../support/example-discussion';
import { clientAssertion, fhirBaseOf, fhirGet, fhirPost, launchAndToken, postToken, startSandbox } from '../helpers/sandbox-harness';
import type { Harness, LaunchInput } from '../helpers/sandbox-harness';

const PATIENT_SCOPES = 'launch openid fhirUser patient/DocumentReference.cruds patient/Observation.rs patient/Encounter.r';
/** Oracle wants explicit v1 user scopes (research §2.2); `write` includes update. */
const ORACLE_SCOPES = 'launch openid fhirUser online_access user/DocumentReference.read user/DocumentReference.write';
const PROFILE_BY_VENDOR = { generic: 'us-core', epic: 'epic', oracle: 'oracle' } as const;
type Vendor = keyof typeof PROFILE_BY_VENDOR;

let h: Harness;

beforeAll(async () => {
  h = await startSandbox();
});
afterAll(async () => {
  await h.close();
});
afterEach(async () => {
  await fetch(`${h.baseUrl}/simulator/faults`, { method: 'DELETE' });
});

async function tokenFor(vendor: Vendor, launch: LaunchInput = {}): Promise<string> {
  const scope = vendor === 'oracle' ? ORACLE_SCOPES : PATIENT_SCOPES;
  return (await launchAndToken(h, { vendor, ...launch }, { scope })).access_token;
}

function noteInput(change: Partial<DocumentReferenceInput> = {}): DocumentReferenceInput {
  const now = Date.now();
  return {
    discussionId: crypto.randomUUID(),
    patientId: 'pat-a',
    encounterId: 'enc-a1',
    authorReference: 'Practitioner/itdd-dr-rivera',
    date: new Date(now).toISOString(),
    periodStart: new Date(now - 30 * 60_000).toISOString(),
    periodEnd: new Date(now - 60_000).toISOString(),
    noteText: 'Intrathecal pump discussion: benefits, risks (infection, granuloma), alternatives. Patient: “understood”.',
    pdf: { bytes: minimalPdf('Pump discussion record'), title: 'Discussion record', creation: new Date(now).toISOString(), language: 'en' },
    language: 'en',
    ...change,
  };
}

function buildNote(vendor: Vendor, change: Partial<DocumentReferenceInput> = {}): BuiltDocumentReference {
  const profile: WriteProfile = PROFILE_BY_VENDOR[vendor];
  return buildDocumentReference(profile, noteInput(change));
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** A shallow copy without the named keys. */
function omit<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key))) as Partial<T>;
}

/** What the client sent, as read back: without what only the server assigns. */
function withoutServerFields(resource: DocumentReference): Partial<DocumentReference> {
  return omit(resource, ['id', 'meta']);
}

async function notesOf(patient: string): Promise<DocumentReference[]> {
  return h.sandbox.repo.searchResources(parseSearchRequest<DocumentReference>(`DocumentReference?patient=Patient/${patient}`));
}

async function queueFault(fault: Record<string, unknown>): Promise<Response> {
  return fetch(`${h.baseUrl}/simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
}

function fhirPut(token: string, path: string, resource: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fhirBaseOf(h, token)}/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', ...headers },
    body: JSON.stringify(resource),
  });
}

async function expectRefusal(res: Response, status: number, field: string): Promise<void> {
  expect(res.status).toBe(status);
  const outcome = await json<OperationOutcome>(res);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue?.[0]?.expression).toEqual([`DocumentReference.${field}`]);
  expect(outcome.issue?.[0]?.details?.text).toContain(field);
}

describe('each vendor accepts what its builder produces', () => {
  it('generic: 201, absolute versioned Location, ETag, the resource in the body, read-back equal', async () => {
    const token = await tokenFor('generic');
    const note = buildNote('generic');
    const res = await fhirPost(h, token, 'DocumentReference', note);
    expect(res.status).toBe(201);
    const created = await json<DocumentReference>(res);
    expect(res.headers.get('location')).toBe(`${h.sandbox.fhirBaseUrl}/DocumentReference/${created.id}/_history/${created.meta?.versionId}`);
    expect(res.headers.get('etag')).toBe(`W/"${created.meta?.versionId}"`);
    const readBack = await json<DocumentReference>(await fhirGet(h, token, `DocumentReference/${created.id}`));
    expect(withoutServerFields(readBack)).toEqual(note);
  });

  it('epic: 201, relative Location, no ETag, an empty body, read-back equal; the body only on return=representation', async () => {
    const token = await tokenFor('epic');
    const note = buildNote('epic');
    const res = await fhirPost(h, token, 'DocumentReference', note);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBeNull();
    const location = res.headers.get('location') as string;
    expect(location).toMatch(/^DocumentReference\/[A-Za-z0-9\-.]+$/);
    const readBack = await json<DocumentReference>(await fhirGet(h, token, location));
    expect(withoutServerFields(readBack)).toEqual(note);
    const represented = await fhirPost(h, token, 'DocumentReference', buildNote('epic'), { prefer: 'return=representation' });
    expect(represented.status).toBe(201);
    expect((await json<DocumentReference>(represented)).docStatus).toBe('preliminary');
  });

  it('epic: accepts docStatus final (a signed note)', async () => {
    const token = await tokenFor('epic');
    const note = buildDocumentReference('epic', noteInput(), { docStatus: 'final' });
    expect((await fhirPost(h, token, 'DocumentReference', note)).status).toBe(201);
  });

  it('oracle: 201, absolute unversioned Location, ETag, Content-Length 0; unsupported fields dropped, date stamped', async () => {
    const token = await tokenFor('oracle');
    const note = buildNote('oracle');
    const before = Date.now();
    const res = await fhirPost(h, token, 'DocumentReference', note, { prefer: 'return=representation' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-length')).toBe('0');
    const location = res.headers.get('location') as string;
    expect(location).toMatch(new RegExp(`^${h.sandbox.fhirBaseUrls.oracle}/DocumentReference/[A-Za-z0-9\\-.]+$`));
    const readBack = await json<DocumentReference>(await fhirGet(h, token, location.slice(h.sandbox.fhirBaseUrls.oracle.length + 1)));
    expect(res.headers.get('etag')).toBe(`W/"${readBack.meta?.versionId}"`);
    const attachment = omit(note.content[0]?.attachment ?? {}, ['hash', 'size', 'language']);
    const kept = omit(note, ['identifier', 'description', 'date', 'content']);
    expect(withoutServerFields(readBack)).toEqual({ ...kept, content: [{ attachment }], date: readBack.date });
    expect(Date.parse(readBack.date as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(attachment.contentType).toBe('application/pdf');
    const textOnly = buildNote('oracle', { pdf: undefined });
    expect(textOnly.content[0]?.attachment.contentType).toBe('text/plain;charset=utf-8');
    expect((await fhirPost(h, token, 'DocumentReference', textOnly)).status).toBe(201);
  });

  it('accepts a PDF of a few MB (US Core: inline attachments up to at least 5 MiB)', async () => {
    const token = await tokenFor('generic');
    const bytes = Buffer.concat([minimalPdf('big'), crypto.randomBytes(5 * 1024 * 1024 - 2048)]);
    const note = buildNote('generic', { pdf: { bytes, title: 'Large record', creation: new Date().toISOString(), language: 'en' } });
    const res = await fhirPost(h, token, 'DocumentReference', note, { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
  });

  it('refuses attachment data that is not base64, naming the element, and still checks the structure', async () => {
    const token = await tokenFor('generic');
    const broken = buildNote('generic');
    broken.content = [{ ...broken.content[0], attachment: { ...broken.content[0]?.attachment, data: 'not base64!' } }] as typeof broken.content;
    await expectRefusal(await fhirPost(h, token, 'DocumentReference', broken), 400, 'content[0].attachment.data');
    // With valid data, Medplum still checks the rest (here a date that is not one).
    const badDate = buildNote('generic');
    (badDate as { date: string }).date = 'yesterday';
    const refused = await fhirPost(h, token, 'DocumentReference', badDate);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await json<OperationOutcome>(refused))).toContain('DocumentReference.date');
  });
});

describe('vendor refusals', () => {
  it('epic refuses a PDF, a note without an encounter, and an encounter of another patient (400)', async () => {
    const token = await tokenFor('epic');
    const pdf = buildNote('epic');
    pdf.content = [pdfContent(noteInput().pdf as NonNullable<DocumentReferenceInput['pdf']>)];
    await expectRefusal(await fhirPost(h, token, 'DocumentReference', pdf), 400, 'content[0].attachment.contentType');
    const noEncounter = buildNote('epic');
    delete noEncounter.context?.encounter;
    await expectRefusal(await fhirPost(h, token, 'DocumentReference', noEncounter), 400, 'context.encounter');
    const otherPatients = buildNote('epic');
    otherPatients.context = { ...otherPatients.context, encounter: [{ reference: 'Encounter/enc-b1' }] };
    await expectRefusal(await fhirPost(h, token, 'DocumentReference', otherPatients), 400, 'context.encounter');
    const twoContents = buildNote('epic');
    twoContents.content = [...twoContents.content, ...twoContents.content];
    await expectRefusal(await fhirPost(h, token, 'DocumentReference', twoContents), 400, 'content');
  });

  it('oracle refuses preliminary, another author, a period end without a time and two contents (422)', async () => {
    const token = await tokenFor('oracle');
    const cases: [string, (d: BuiltDocumentReference) => void][] = [
      ['docStatus', (d) => (d.docStatus = 'preliminary')],
      ['author', (d) => (d.author = [{ reference: 'Practitioner/itdd-rn-okafor' }])],
      ['context.period.end', (d) => (d.context = { ...d.context, period: { start: '2026-11-24T09:05:00Z', end: '2026-11-24' } })],
      ['content', (d) => (d.content = [...d.content, ...d.content])],
    ];
    for (const [field, change] of cases) {
      const note = buildNote('oracle');
      change(note);
      await expectRefusal(await fhirPost(h, token, 'DocumentReference', note), 422, field);
    }
  });

  it('every mode refuses what is not valid FHIR R4, and a note about another patient', async () => {
    for (const vendor of ['generic', 'epic', 'oracle'] as const) {
      const token = await tokenFor(vendor);
      const res = await fhirPost(h, token, 'DocumentReference', { ...buildNote(vendor), status: undefined, bogus: true });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('bogus');
    }
    const patientScoped = await tokenFor('epic');
    expect((await fhirPost(h, patientScoped, 'DocumentReference', buildNote('epic', { patientId: 'pat-b', encounterId: 'enc-b1' }))).status).toBe(403);
  });
});

describe('duplicates', () => {
  it('epic files a replayed POST twice, If-None-Exist or not', async () => {
    const token = await tokenFor('epic');
    const note = buildNote('epic');
    const identifier = note.identifier?.[0];
    const condition = { 'if-none-exist': `identifier=${identifier?.system}|${identifier?.value}` };
    const first = await fhirPost(h, token, 'DocumentReference', note, condition);
    const second = await fhirPost(h, token, 'DocumentReference', note, condition);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.headers.get('location')).not.toBe(second.headers.get('location'));
    const query = `DocumentReference?patient=pat-a&identifier=${encodeURIComponent(`${identifier?.system}|${identifier?.value}`)}`;
    expect((await json<Bundle>(await fhirGet(h, token, query))).total).toBe(2);
  });

  it('generic honours If-None-Exist: one note, 200 with the same id the second time', async () => {
    const token = await tokenFor('generic');
    const note = buildNote('generic');
    const identifier = note.identifier?.[0];
    const condition = { 'if-none-exist': `identifier=${identifier?.system}|${identifier?.value}` };
    const first = await fhirPost(h, token, 'DocumentReference', note, condition);
    const second = await fhirPost(h, token, 'DocumentReference', note, condition);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect((await json<DocumentReference>(second)).id).toBe((await json<DocumentReference>(first)).id);
  });

  it('oracle strips the identifier, so neither a search nor If-None-Exist can find the note by it', async () => {
    const token = await tokenFor('oracle', { patient: 'pat-b' });
    const before = (await notesOf('pat-b')).length;
    const note = buildNote('oracle', { patientId: 'pat-b', encounterId: 'enc-b1' });
    const identifier = `${note.identifier?.[0]?.system}|${note.identifier?.[0]?.value}`;
    const condition = { 'if-none-exist': `identifier=${identifier}` };
    expect((await fhirPost(h, token, 'DocumentReference', note, condition)).status).toBe(201);
    expect((await fhirPost(h, token, 'DocumentReference', note, condition)).status).toBe(201);
    const found = await json<Bundle>(await fhirGet(h, token, `DocumentReference?patient=pat-b&identifier=${encodeURIComponent(identifier)}`));
    expect(found.total).toBe(0);
    expect((await notesOf('pat-b')).length).toBe(before + 2);
  });
});

describe('reconciliation search', () => {
  it('finds the note by patient, encounter (bare id or reference), type and date', async () => {
    const token = await tokenFor('epic');
    const since = new Date(Date.now() - 1000).toISOString();
    const res = await fhirPost(h, token, 'DocumentReference', buildNote('epic', { encounterId: 'enc-a2' }));
    const id = (res.headers.get('location') as string).split('/')[1];
    for (const encounter of ['enc-a2', 'Encounter/enc-a2']) {
      const query = new URLSearchParams({ patient: 'pat-a', encounter, type: 'http://loinc.org|11506-3', date: `ge${since}` });
      const bundle = await json<Bundle<DocumentReference>>(await fhirGet(h, token, `DocumentReference?${query.toString()}`));
      expect(bundle.entry?.map((e) => e.resource?.id)).toEqual([id]);
    }
    const later = new URLSearchParams({ patient: 'pat-a', encounter: 'enc-a2', date: `gt${new Date(Date.now() + 60_000).toISOString()}` });
    expect((await json<Bundle>(await fhirGet(h, token, `DocumentReference?${later.toString()}`))).total).toBe(0);
  });
});

describe('corrections (PUT to entered-in-error, then a replacement)', () => {
  async function fileNote(vendor: Vendor, token: string): Promise<DocumentReference> {
    const res = await fhirPost(h, token, 'DocumentReference', buildNote(vendor), { prefer: 'return=representation' });
    const location = (res.headers.get('location') as string).replace(`${fhirBaseOf(h, token)}/`, '');
    const [unversioned] = location.split('/_history/');
    return json<DocumentReference>(await fhirGet(h, token, unversioned ?? location));
  }

  it('generic: marks the note entered-in-error and files a replacement that relatesTo it', async () => {
    const token = await tokenFor('generic');
    const filed = await fileNote('generic', token);
    const partial = { resourceType: 'DocumentReference', id: filed.id, status: 'entered-in-error', subject: filed.subject };
    const res = await fhirPut(token, `DocumentReference/${filed.id}`, partial, { 'if-match': `W/"${filed.meta?.versionId}"` });
    expect(res.status).toBe(200);
    const corrected = await json<DocumentReference>(res);
    expect(corrected).toMatchObject({ status: 'entered-in-error', docStatus: filed.docStatus, content: filed.content });
    const replacement = { ...buildNote('generic'), relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${filed.id}` } }] };
    const replaced = await json<DocumentReference>(await fhirPost(h, token, 'DocumentReference', replacement));
    expect(replaced.relatesTo).toEqual(replacement.relatesTo);
  });

  it('refuses edits, another subject, a stale version, other types and tokens without update', async () => {
    const token = await tokenFor('epic');
    const filed = await fileNote('epic', token);
    const path = `DocumentReference/${filed.id}`;
    await expectRefusal(await fhirPut(token, path, { ...filed, description: 'edited' }), 422, 'status');
    const otherSubject = { ...filed, status: 'entered-in-error', subject: { reference: 'Patient/pat-c' } };
    await expectRefusal(await fhirPut(token, path, otherSubject), 422, 'subject');
    const marked = { ...filed, status: 'entered-in-error' };
    expect((await fhirPut(token, path, marked, { 'if-match': 'W/"stale"' })).status).toBe(412);
    expect((await fhirPut(token, path, { ...marked, id: 'other' })).status).toBe(400);
    expect((await fhirPut(token, 'Patient/pat-a', { resourceType: 'Patient', id: 'pat-a' })).status).toBe(405);
    const readOnly = (await launchAndToken(h, { vendor: 'epic' }, { scope: 'launch patient/DocumentReference.cr' })).access_token;
    expect((await fhirPut(readOnly, path, marked)).status).toBe(403);
    const ok = await fhirPut(token, path, marked);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
  });

  it('oracle: needs read and write scopes and If-Match, answers 409 for a stale one, accepts docStatus entered-in-error', async () => {
    const token = await tokenFor('oracle');
    const filed = await fileNote('oracle', token);
    const path = `DocumentReference/${filed.id}`;
    const marked = { ...filed, docStatus: 'entered-in-error' };
    const writeOnly = (await launchAndToken(h, { vendor: 'oracle' }, { scope: 'launch user/DocumentReference.write' })).access_token;
    expect((await fhirPut(writeOnly, path, marked, { 'if-match': `W/"${filed.meta?.versionId}"` })).status).toBe(403);
    expect((await fhirPut(token, path, marked)).status).toBe(400);
    expect((await fhirPut(token, path, marked, { 'if-match': 'W/"stale"' })).status).toBe(409);
    const res = await fhirPut(token, path, marked, { 'if-match': `W/"${filed.meta?.versionId}"` });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^W\/"/);
    const readBack = await json<DocumentReference>(await fhirGet(h, token, path));
    expect(readBack).toMatchObject({ status: 'current', docStatus: 'entered-in-error' });
  });
});

describe('fault injection', () => {
  it('rate-limit: 429 with Retry-After in seconds, nothing stored; the next write goes through', async () => {
    const token = await tokenFor('generic', { patient: 'pat-c' });
    const note = buildNote('generic', { patientId: 'pat-c', encounterId: 'enc-c1' });
    const before = (await notesOf('pat-c')).length;
    expect((await queueFault({ fault: 'rate-limit', retryAfter: 3 })).status).toBe(201);
    const limited = await fhirPost(h, token, 'DocumentReference', note);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await json<OperationOutcome>(limited)).issue?.[0]?.code).toBe('throttled');
    expect((await notesOf('pat-c')).length).toBe(before);
    expect((await fhirPost(h, token, 'DocumentReference', note)).status).toBe(201);
  });

  it('rate-limit with an HTTP-date Retry-After, and unavailable (503) with Retry-After: nothing stored', async () => {
    const token = await tokenFor('generic', { patient: 'pat-c' });
    const note = buildNote('generic', { patientId: 'pat-c', encounterId: 'enc-c1' });
    const before = (await notesOf('pat-c')).length;
    await queueFault({ fault: 'rate-limit', retryAfter: 'http-date', retryAfterSeconds: 5 });
    const limited = await fhirPost(h, token, 'DocumentReference', note);
    expect(limited.status).toBe(429);
    const date = limited.headers.get('retry-after') as string;
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Date.parse(date) - Date.now()).toBeGreaterThan(3000);
    expect(Date.parse(date) - Date.now()).toBeLessThanOrEqual(6000);
    await queueFault({ fault: 'unavailable', retryAfter: 7 });
    const unavailable = await fhirPost(h, token, 'DocumentReference', note);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    expect((await notesOf('pat-c')).length).toBe(before);
  });

  it('server-error: 500 and nothing stored; count faults that many writes', async () => {
    const token = await tokenFor('epic', { patient: 'pat-c' });
    const note = buildNote('epic', { patientId: 'pat-c', encounterId: 'enc-c1' });
    const before = (await notesOf('pat-c')).length;
    await queueFault({ fault: 'server-error', count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await fhirPost(h, token, 'DocumentReference', note)).status);
    }
    expect(statuses).toEqual([500, 500, 201]);
    expect((await notesOf('pat-c')).length).toBe(before + 1);
  });

  it('drop-after-store: the client sees a socket error, yet the note is in the chart', async () => {
    const token = await tokenFor('epic', { patient: 'pat-c' });
    const note = buildNote('epic', { patientId: 'pat-c', encounterId: 'enc-c1' });
    await queueFault({ fault: 'drop-after-store', patient: 'pat-c' });
    await expect(fhirPost(h, token, 'DocumentReference', note)).rejects.toThrow('fetch failed');
    const stored = await notesOf('pat-c');
    expect(stored.filter((d) => d.identifier?.[0]?.value === note.identifier?.[0]?.value)).toHaveLength(1);
    const entry = h.sandbox.writeLog().at(-1);
    expect(entry).toMatchObject({ method: 'POST', patientId: 'pat-c', status: 201, fault: 'drop-after-store', answered: false });
  });

  it('slow: the note is stored and the answer comes after delayMs', async () => {
    const token = await tokenFor('generic', { patient: 'pat-c' });
    await queueFault({ fault: 'slow', delayMs: 400 });
    const started = Date.now();
    const res = await fhirPost(h, token, 'DocumentReference', buildNote('generic', { patientId: 'pat-c', encounterId: 'enc-c1' }));
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('unauthorized: 401 with WWW-Authenticate, the token is revoked, nothing stored; a refreshed token files it', async () => {
    const launched = await launchAndToken(h, { vendor: 'oracle', patient: 'pat-c' }, { scope: ORACLE_SCOPES });
    const note = buildNote('oracle', { patientId: 'pat-c', encounterId: 'enc-c1' });
    const before = (await notesOf('pat-c')).length;
    await queueFault({ fault: 'unauthorized' });
    const res = await fhirPost(h, launched.access_token, 'DocumentReference', note);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await fhirGet(h, launched.access_token, 'DocumentReference?patient=pat-c')).status).toBe(401);
    expect((await notesOf('pat-c')).length).toBe(before);
    const refreshed = await postToken(h, {
      grant_type: 'refresh_token',
      refresh_token: launched.refresh_token as string,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(h),
    });
    const { access_token: fresh } = await json<{ access_token: string }>(refreshed);
    // A refreshed token is for the same (Oracle) base as the one it replaces.
    h.tokenBases.set(fresh, h.sandbox.fhirBaseUrls.oracle);
    expect((await fhirPost(h, fresh, 'DocumentReference', note)).status).toBe(201);
    expect((await notesOf('pat-c')).length).toBe(before + 1);
  });

  it('applies only to the patient named, and to reads only when asked', async () => {
    const token = await tokenFor('generic');
    await queueFault({ fault: 'server-error', patient: 'pat-b' });
    expect((await fhirPost(h, token, 'DocumentReference', buildNote('generic'))).status).toBe(201);
    expect((await fhirGet(h, token, 'Observation?patient=pat-a')).status).toBe(200);
    await queueFault({ fault: 'rate-limit', scope: 'read', resourceType: 'Observation' });
    expect((await fhirGet(h, token, 'DocumentReference?patient=pat-a')).status).toBe(200);
    expect((await fhirGet(h, token, 'Observation?patient=pat-a')).status).toBe(429);
    expect((await fhirGet(h, token, 'Observation?patient=pat-a')).status).toBe(200);
    const listed = await json<{ faults: unknown[] }>(await fetch(`${h.baseUrl}/simulator/faults`));
    expect(listed.faults).toEqual([expect.objectContaining({ fault: 'server-error', patient: 'pat-b' })]);
  });

  it('refuses malformed fault requests, non-JSON bodies and cross-site posts', async () => {
    expect((await queueFault({ fault: 'meteor' })).status).toBe(400);
    expect((await queueFault({ fault: 'slow', delayMs: 10_000_000 })).status).toBe(400);
    expect((await queueFault({ fault: 'slow', patient: 'nobody' })).status).toBe(400);
    expect((await queueFault({ fault: 'slow', extra: 1 })).status).toBe(400);
    const form = await fetch(`${h.baseUrl}/simulator/faults`, { method: 'POST', body: new URLSearchParams({ fault: 'slow' }) });
    expect(form.status).toBe(400);
    const crossSite = await fetch(`${h.baseUrl}/simulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ fault: 'slow' }),
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'forbidden' });
  });

  it('a launch with a write fault applies it to its first DocumentReference write only', async () => {
    const token = await tokenFor('epic', { writeFault: 'rate-limit' });
    const note = buildNote('epic');
    const first = await fhirPost(h, token, 'DocumentReference', note);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect((await fhirPost(h, token, 'DocumentReference', note)).status).toBe(201);
    const page = await (await fetch(`${h.baseUrl}/`)).text();
    expect(page).toContain('<select name="writeFault">');
    expect(page).toContain('<option value="drop-after-store">');
  });
});

describe('write log', () => {
  it('records every DocumentReference write per patient with its status, refused or faulted (unauthenticated: no patient)', async () => {
    const token = await tokenFor('oracle', { patient: 'pat-b' });
    const startCount = h.sandbox.writeLog().length;
    const note = buildNote('oracle', { patientId: 'pat-b', encounterId: 'enc-b1' });
    await queueFault({ fault: 'unavailable' });
    await fhirPost(h, token, 'DocumentReference', note);
    await fhirPost(h, token, 'DocumentReference', note);
    await fhirPost(h, token, 'DocumentReference', { ...note, docStatus: 'preliminary' });
    await fhirPost(h, 'not-a-token', 'DocumentReference', note);
    const entries = h.sandbox.writeLog().slice(startCount);
    expect(entries.map((e) => [e.method, e.type, e.patientId, e.status, e.fault])).toEqual([
      ['POST', 'DocumentReference', 'pat-b', 503, 'unavailable'],
      ['POST', 'DocumentReference', 'pat-b', 201, undefined],
      ['POST', 'DocumentReference', 'pat-b', 422, undefined],
      ['POST', 'DocumentReference', undefined, 401, undefined],
    ]);
    expect(entries.every((e) => e.answered && e.at >= h.now() - 60_000)).toBe(true);
  });
});
