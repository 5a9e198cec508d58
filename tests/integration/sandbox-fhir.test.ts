import type { Bundle, CapabilityStatement, DocumentReference, OperationOutcome } from '@medplum/fhirtypes';
import { fhirGet, fhirPost, launchAndToken, startSandbox } from '../helpers/sandbox-harness';
import type { Harness } from '../helpers/sandbox-harness';

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSandbox();
  token = (await launchAndToken(h)).access_token;
});
afterAll(async () => {
  await h.close();
});

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

function note(subject = 'Patient/pat-a', extra: Partial<DocumentReference> = {}): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '11506-3' }] },
    subject: { reference: subject },
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Discussed the pump.').toString('base64') } }],
    ...extra,
  };
}

describe('metadata', () => {
  it('is public and lists each served type with interactions, search parameters and the SMART oauth-uris', async () => {
    const res = await fhirGet(h, undefined, 'metadata');
    expect(res.status).toBe(200);
    const cs = await json<CapabilityStatement>(res);
    expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', format: ['json'] });
    const rest = cs.rest?.[0];
    const observation = rest?.resource?.find((r) => r.type === 'Observation');
    expect(observation?.interaction?.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'search-type', 'create']));
    expect(observation?.searchParam).toEqual(
      expect.arrayContaining([
        { name: 'patient', type: 'reference', definition: 'http://hl7.org/fhir/SearchParameter/clinical-patient' },
      ]),
    );
    expect(observation?.searchParam?.some((p) => p.name === '_project')).toBe(false);
    expect(rest?.resource?.map((r) => r.type)).toEqual(expect.arrayContaining(['DocumentReference', 'Medication', 'Practitioner']));
    const oauth = rest?.security?.extension?.[0];
    expect(oauth?.extension).toEqual([
      { url: 'authorize', valueUri: `${h.baseUrl}/auth/authorize` },
      { url: 'token', valueUri: `${h.baseUrl}/auth/token` },
    ]);
    expect(rest?.security?.service?.[0]?.coding?.[0]?.code).toBe('SMART-on-FHIR');
  });
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate: Bearer and an OperationOutcome without a token or with an unknown one', async () => {
    for (const t of [undefined, 'not-a-token']) {
      const res = await fhirGet(h, t, 'Patient/pat-a');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect((await json<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
    }
  });
});

describe('read', () => {
  it('returns the resource with ETag, Last-Modified and the FHIR JSON content type', async () => {
    const res = await fhirGet(h, token, 'Encounter/enc-a1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    const encounter = await json<{ meta: { versionId: string } }>(res);
    expect(res.headers.get('etag')).toBe(`W/"${encounter.meta.versionId}"`);
    expect(res.headers.get('last-modified')).toMatch(/GMT$/);
  });

  it('answers 404 with an OperationOutcome for a missing resource and an unknown type', async () => {
    const missing = await fhirGet(h, token, 'Observation/nope');
    expect(missing.status).toBe(404);
    expect((await json<OperationOutcome>(missing)).issue?.[0]?.code).toBe('not-found');
    expect((await fhirGet(h, token, 'Nonsense/x')).status).toBe(404);
  });

  it('reads types outside the patient compartment with a matching scope', async () => {
    expect((await fhirGet(h, token, 'Medication/med-morphine')).status).toBe(200);
    expect((await fhirGet(h, token, 'Practitioner/itdd-dr-rivera')).status).toBe(200);
  });
});

describe('scope enforcement', () => {
  it('refuses another patient and another patient’s records with 403 forbidden', async () => {
    for (const path of ['Patient/pat-b', 'Observation/obs-b1', 'Encounter/enc-b1']) {
      const res = await fhirGet(h, token, path);
      expect(res.status).toBe(403);
      expect((await json<OperationOutcome>(res)).issue?.[0]?.code).toBe('forbidden');
    }
  });

  it('refuses a search that is not limited to the patient in context', async () => {
    for (const query of ['Observation', 'Observation?patient=pat-b', 'Observation?patient=pat-a,pat-b', 'Patient?name=Example']) {
      expect((await fhirGet(h, token, query)).status).toBe(403);
    }
    expect((await fhirGet(h, token, 'Observation?subject=Patient/pat-a')).status).toBe(200);
    const searcher = (await launchAndToken(h, {}, { scope: 'launch patient/Patient.rs' })).access_token;
    expect((await fhirGet(h, searcher, 'Patient?_id=pat-a')).status).toBe(200);
    expect((await fhirGet(h, searcher, 'Patient?_id=pat-b')).status).toBe(403);
  });

  it('refuses types without a granted scope, and interactions the scope does not include', async () => {
    expect((await fhirGet(h, token, 'Location/itdd-loc')).status).toBe(403);
    expect((await fhirGet(h, token, 'Patient?_id=pat-a')).status).toBe(403);
    const narrow = (await launchAndToken(h, {}, { scope: 'launch patient/Observation.r' })).access_token;
    expect((await fhirGet(h, narrow, 'Observation/obs-a1')).status).toBe(200);
    expect((await fhirGet(h, narrow, 'Observation?patient=pat-a')).status).toBe(403);
  });

  it('removes denied types from the granted scopes and refuses their reads with 403', async () => {
    const denied = await launchAndToken(h, { deny: ['Observation', 'Condition'] });
    expect(denied.scope).not.toMatch(/Observation|Condition/);
    expect((await fhirGet(h, denied.access_token, 'Observation?patient=pat-a')).status).toBe(403);
    expect((await fhirGet(h, denied.access_token, 'Condition?patient=pat-a')).status).toBe(403);
    expect((await fhirGet(h, denied.access_token, 'Procedure?patient=pat-a')).status).toBe(200);
  });

  it('refuses denied types even under a wildcard scope', async () => {
    const wildcard = await launchAndToken(h, { deny: ['Observation'] }, { scope: 'launch patient/*.rs' });
    expect(wildcard.scope).toBe('launch patient/*.rs');
    expect((await fhirGet(h, wildcard.access_token, 'Observation?patient=pat-a')).status).toBe(403);
    expect((await fhirGet(h, wildcard.access_token, 'Condition?patient=pat-a')).status).toBe(200);
  });

  it('lets user/ scopes read across patients', async () => {
    const user = await launchAndToken(h, {}, { scope: 'launch user/Observation.rs user/Patient.r' });
    expect((await fhirGet(h, user.access_token, 'Observation/obs-b1')).status).toBe(200);
    expect((await fhirGet(h, user.access_token, 'Patient/pat-b')).status).toBe(200);
  });

  it('accepts v1 scopes', async () => {
    const v1 = await launchAndToken(h, {}, { scope: 'launch patient/Observation.read patient/DocumentReference.write' });
    expect(v1.scope).toBe('launch patient/Observation.read patient/DocumentReference.write');
    expect((await fhirGet(h, v1.access_token, 'Observation?patient=pat-a')).status).toBe(200);
    expect((await fhirPost(h, v1.access_token, 'DocumentReference', note())).status).toBe(201);
  });

  it('answers 500 for searches of the types the launch makes fail', async () => {
    const failing = await launchAndToken(h, { fail: ['Procedure'] });
    const res = await fhirGet(h, failing.access_token, 'Procedure?patient=pat-a');
    expect(res.status).toBe(500);
    expect((await json<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
    expect((await fhirGet(h, failing.access_token, 'Condition?patient=pat-a')).status).toBe(200);
  });
});

describe('search', () => {
  it('returns a searchset with absolute fullUrls, match mode and total', async () => {
    const res = await fhirGet(h, token, 'Condition?patient=pat-a');
    expect(res.status).toBe(200);
    const bundle = await json<Bundle>(res);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(bundle.entry?.[0]).toMatchObject({
      fullUrl: `${h.sandbox.fhirBaseUrl}/Condition/cond-a1`,
      search: { mode: 'match' },
    });
  });

  it('pages with _count and _offset and links self, next and previous', async () => {
    const first = await json<Bundle>(await fhirGet(h, token, 'Observation?patient=pat-a&_count=3'));
    expect(first.total).toBe(7);
    expect(first.entry).toHaveLength(3);
    const link = (b: Bundle, rel: string): string | undefined => b.link?.find((l) => l.relation === rel)?.url;
    expect(link(first, 'self')).toBe(`${h.sandbox.fhirBaseUrl}/Observation?patient=pat-a&_count=3&_offset=0`);
    expect(link(first, 'previous')).toBeUndefined();
    const ids = new Set(first.entry?.map((e) => e.resource?.id));
    let page = first;
    while (link(page, 'next') !== undefined) {
      const next = new URL(link(page, 'next') as string);
      page = await json<Bundle>(await fhirGet(h, token, `Observation${next.search}`));
      page.entry?.forEach((e) => ids.add(e.resource?.id));
      expect(link(page, 'previous')).toBeDefined();
    }
    expect(ids.size).toBe(7);
  });

  it('caps _count at 200 and rejects malformed paging values', async () => {
    const capped = await json<Bundle>(await fhirGet(h, token, 'Observation?patient=pat-a&_count=5000'));
    expect(capped.link?.[0]?.url).toContain('_count=200');
    expect((await fhirGet(h, token, 'Observation?patient=pat-a&_count=-1')).status).toBe(400);
    expect((await fhirGet(h, token, 'Observation?patient=pat-a&_offset=abc')).status).toBe(400);
  });

  it('_includes the Medication of a MedicationRequest', async () => {
    const res = await fhirGet(h, token, 'MedicationRequest?patient=pat-a&_include=MedicationRequest:medication');
    const bundle = await json<Bundle>(res);
    const included = bundle.entry?.filter((e) => e.search?.mode === 'include');
    expect(included?.map((e) => e.resource?.id)).toEqual(['med-morphine']);
    expect(included?.[0]?.fullUrl).toBe(`${h.sandbox.fhirBaseUrl}/Medication/med-morphine`);
  });

  it('drops _included resources of types the token has no read scope for', async () => {
    const narrow = (await launchAndToken(h, {}, { scope: 'launch patient/MedicationRequest.rs' })).access_token;
    const bundle = await json<Bundle>(
      await fhirGet(h, narrow, 'MedicationRequest?patient=pat-a&_include=MedicationRequest:medication'),
    );
    expect(bundle.entry?.map((e) => e.resource?.resourceType)).toEqual(['MedicationRequest']);
  });

  it('drops _included resources of another patient', async () => {
    const searcher = (await launchAndToken(h, {}, { scope: 'launch patient/Encounter.rs' })).access_token;
    const bundle = await json<Bundle>(await fhirGet(h, searcher, 'Encounter?patient=pat-a&_include=Encounter:part-of'));
    const ids = bundle.entry?.map((e) => e.resource?.id);
    expect(ids).toEqual(expect.arrayContaining(['enc-a1', 'enc-a2']));
    expect(ids).not.toContain('enc-b1');
    const user = (await launchAndToken(h, {}, { scope: 'launch user/Encounter.rs' })).access_token;
    const unconfined = await json<Bundle>(await fhirGet(h, user, 'Encounter?patient=pat-a&_include=Encounter:part-of'));
    expect(unconfined.entry?.map((e) => e.resource?.id)).toContain('enc-b1');
  });
});

describe('create', () => {
  it('answers 201 with Location, ETag and the resource, which reads back', async () => {
    const res = await fhirPost(h, token, 'DocumentReference', { ...note(), id: 'client-chosen' });
    expect(res.status).toBe(201);
    const created = await json<DocumentReference>(res);
    expect(created.id).not.toBe('client-chosen');
    const location = res.headers.get('location') as string;
    expect(location).toBe(`${h.sandbox.fhirBaseUrl}/DocumentReference/${created.id}/_history/${created.meta?.versionId}`);
    expect(res.headers.get('etag')).toBe(`W/"${created.meta?.versionId}"`);
    const readBack = await fhirGet(h, token, location.slice(h.sandbox.fhirBaseUrl.length + 1));
    expect(readBack.status).toBe(200);
    expect((await json<DocumentReference>(readBack)).subject?.reference).toBe('Patient/pat-a');
    expect(await h.sandbox.repo.readResource('DocumentReference', created.id as string)).toMatchObject({ docStatus: 'final' });
  });

  it('answers 201 with an empty body for Prefer: return=minimal', async () => {
    const res = await fhirPost(h, token, 'DocumentReference', note(), { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    expect(res.headers.get('location')).toMatch(/\/DocumentReference\/[^/]+\/_history\//);
  });

  it('rejects an invalid resource with 400 and an OperationOutcome naming the problem', async () => {
    const res = await fhirPost(h, token, 'DocumentReference', { ...note(), content: undefined, bogus: 1 });
    expect(res.status).toBe(400);
    const outcome = await json<OperationOutcome>(res);
    const text = JSON.stringify(outcome.issue);
    expect(text).toContain('DocumentReference.content');
    expect(text).toContain('bogus');
  });

  it('rejects a body whose type does not match the URL, and a wrong content type', async () => {
    expect((await fhirPost(h, token, 'DocumentReference', { resourceType: 'Observation' })).status).toBe(400);
    const res = await fetch(`${h.sandbox.fhirBaseUrl}/DocumentReference`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: JSON.stringify(note()),
    });
    expect(res.status).toBe(415);
  });

  it('refuses to file a note on another patient, and creates without a create scope', async () => {
    expect((await fhirPost(h, token, 'DocumentReference', note('Patient/pat-b'))).status).toBe(403);
    expect((await fhirPost(h, token, 'Observation', { resourceType: 'Observation' })).status).toBe(403);
  });

  it('honours If-None-Exist: 201 the first time, 200 with the same resource the second', async () => {
    const identifier = [{ system: 'urn:itdd:discussion', value: 'd-42' }];
    const condition = { 'if-none-exist': 'identifier=urn:itdd:discussion|d-42' };
    const first = await fhirPost(h, token, 'DocumentReference', note('Patient/pat-a', { identifier }), condition);
    expect(first.status).toBe(201);
    const second = await fhirPost(h, token, 'DocumentReference', note('Patient/pat-a', { identifier }), condition);
    expect(second.status).toBe(200);
    expect((await json<DocumentReference>(second)).id).toBe((await json<DocumentReference>(first)).id);
  });

  it('rejects bodies over 10 MB with 413', async () => {
    const big = note('Patient/pat-a', { description: 'x'.repeat(11 * 1024 * 1024) });
    expect((await fhirPost(h, token, 'DocumentReference', big)).status).toBe(413);
  });

  it('answers 405 for interactions the server does not offer', async () => {
    const res = await fetch(`${h.sandbox.fhirBaseUrl}/Patient/pat-a`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
  });
});
