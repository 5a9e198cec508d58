/**
 * The app's only FHIR client against a real local HTTP server: refusals, failures, deadlines, size caps, redirects,
 * paging and where the bearer token may go (security research §6 C10, D4, F1, F2, F8–F10, I1, I2).
 */
import type { Bundle, Patient } from 'fhir/r4';
import { createFhirHttp, type FhirHttp, type FhirHttpOptions } from '../../server/chart/fhir-http';
import { sendJson, startRecordingServer, type RecordingServer } from '../support/recording-server';

let ehr: RecordingServer;
let elsewhere: RecordingServer;

beforeEach(async () => {
  ehr = await startRecordingServer();
  elsewhere = await startRecordingServer();
});

afterEach(async () => {
  await ehr.close();
  await elsewhere.close();
});

function client(options: Partial<FhirHttpOptions> = {}): FhirHttp {
  return createFhirHttp({ baseUrl: `${ehr.origin}/fhir/`, getAccessToken: () => Promise.resolve('token-1'), ...options });
}

const PATIENT: Patient = { resourceType: 'Patient', id: '1', name: [{ text: 'Test Patient' }] };

function page(ids: string[], next?: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: ids.map((id) => ({ resource: { resourceType: 'Condition', id, subject: { reference: 'Patient/1' } } as never, search: { mode: 'match' } })),
    link: next === undefined ? [] : [{ relation: 'next', url: next }],
  };
}

describe('read', () => {
  test('reads a resource with the token and FHIR JSON accept header', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, PATIENT));
    await expect(client().read<Patient>('Patient/1')).resolves.toEqual({ kind: 'ok', value: PATIENT });
    expect(ehr.requests).toEqual([{ method: 'GET', url: '/fhir/Patient/1', authorization: 'Bearer token-1', accept: 'application/fhir+json' }]);
  });

  test('403 is "not authorized"', async () => {
    ehr.handle((_request, response) => sendJson(response, 403, { resourceType: 'OperationOutcome', issue: [] }));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'not-authorized', status: 403 });
  });

  test('401 refreshes the token once and retries with the new one', async () => {
    let token = 'expired';
    const onUnauthorized = jest.fn(() => {
      token = 'fresh';
      return Promise.resolve(true);
    });
    ehr.handle((request, response) =>
      request.headers.authorization === 'Bearer fresh' ? sendJson(response, 200, PATIENT) : response.writeHead(401).end());
    const fhir = client({ getAccessToken: () => Promise.resolve(token), onUnauthorized });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'ok' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(ehr.requests.map((request) => request.authorization)).toEqual(['Bearer expired', 'Bearer fresh']);
  });

  test('a second 401 after the refresh is "not authorized", without a loop; concurrent 401s share one refresh', async () => {
    const onUnauthorized = jest.fn(() => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20)));
    ehr.handle((_request, response) => response.writeHead(401).end());
    const fhir = client({ onUnauthorized });
    const outcomes = await Promise.all([fhir.read('Patient/1'), fhir.search('Condition', { patient: '1' })]);
    expect(outcomes).toEqual([{ kind: 'not-authorized', status: 401 }, { kind: 'not-authorized', status: 401 }]);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(ehr.requests).toHaveLength(4);
  });

  test('500 is a failure with a short reason', async () => {
    ehr.handle((_request, response) => response.writeHead(500).end('stack trace with PHI'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 500, reason: 'the EHR answered 500' });
  });

  test('an EHR that never answers times out', async () => {
    ehr.handle(() => undefined);
    await expect(client({ timeoutMs: 150 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR did not answer in time' });
  });

  test('a body that trickles past the deadline times out', async () => {
    ehr.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      response.write('{"resourceType":');
    });
    await expect(client({ timeoutMs: 150 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR did not answer in time' });
  });

  test('an EHR that cannot be reached fails fast', async () => {
    const fhir = client();
    await ehr.close();
    await expect(fhir.read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR could not be reached' });
  });

  test.each([
    ['declared', true],
    ['streamed', false],
  ])('an oversized body (%s length) is refused', async (_label, declareLength) => {
    const body = JSON.stringify({ ...PATIENT, text: { status: 'generated', div: 'x'.repeat(20_000) } });
    ehr.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json', ...(declareLength ? { 'content-length': body.length } : {}) });
      response.end(body);
    });
    await expect(client({ maxBytes: 10_000 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: "the EHR's answer was too large" });
  });

  test('an HTML login page is not FHIR', async () => {
    ehr.handle((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with FHIR JSON' });
  });

  test('invalid JSON is a failure', async () => {
    ehr.handle((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"resourceType": "Pat'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with valid JSON' });
  });

  test('a redirect is not followed and the token does not travel', async () => {
    ehr.handle((_request, response) => response.writeHead(302, { location: `${elsewhere.origin}/fhir/Patient/1` }).end());
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 302, reason: 'the EHR answered with a redirect, which was not followed' });
    expect(elsewhere.requests).toEqual([]);
  });

  test('a 200 OperationOutcome, another resource type or another id is a failure', async () => {
    const answers = [{ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] }, { resourceType: 'Practitioner', id: '1' }, { ...PATIENT, id: '2' }];
    ehr.handle((_request, response) => sendJson(response, 200, answers.shift()));
    const fhir = client();
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an error' });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an unexpected resource type' });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with a different record' });
  });

  test('references outside the FHIR base are never requested', async () => {
    const fhir = client();
    await expect(fhir.read(`${elsewhere.origin}/fhir/Patient/1`)).resolves.toEqual({ kind: 'failed', reason: 'the record is on another server' });
    await expect(fhir.read(`${ehr.origin}/fhir/../admin/Patient/1`)).resolves.toMatchObject({ kind: 'failed' });
    await expect(fhir.read('Patient/1?x=<script>')).resolves.toEqual({ kind: 'failed', reason: 'the reference is not valid' });
    expect([...ehr.requests, ...elsewhere.requests]).toEqual([]);
  });

  test('an absolute reference under the base is read', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, PATIENT));
    await expect(client().read(`${ehr.origin}/fhir/Patient/1`)).resolves.toMatchObject({ kind: 'ok' });
  });
});

describe('search', () => {
  test('follows next links under the base and merges the pages', async () => {
    ehr.handle((request, response) => {
      const pageNumber = new URL(request.url!, ehr.origin).searchParams.get('page') ?? '1';
      const next = pageNumber === '3' ? undefined : `${ehr.origin}/fhir/Condition?patient=1&page=${Number(pageNumber) + 1}`;
      sendJson(response, 200, page([`c${pageNumber}a`, `c${pageNumber}b`], next));
    });
    const outcome = await client().search('Condition', { patient: '1', code: 'http://loinc.org|4548-4,http://loinc.org|72514-3' });
    expect(outcome.kind).toBe('ok');
    const bundle = outcome.kind === 'ok' ? outcome.value : undefined;
    expect(bundle?.entry?.map((entry) => entry.resource?.id)).toEqual(['c1a', 'c1b', 'c2a', 'c2b', 'c3a', 'c3b']);
    expect(outcome).not.toHaveProperty('notes');
    expect(new URL(ehr.requests[0].url, ehr.origin).searchParams.get('code')).toBe('http://loinc.org|4548-4,http://loinc.org|72514-3');
    expect(ehr.requests.every((request) => request.authorization === 'Bearer token-1')).toBe(true);
  });

  test('a next link to another origin is not followed and the token is not sent there', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, page(['c1'], `${elsewhere.origin}/fhir/Condition?page=2`)));
    const outcome = await client().search('Condition', { patient: '1' });
    expect(outcome).toMatchObject({ kind: 'ok', notes: ['a link to more results pointed outside the EHR and was not followed'] });
    expect(elsewhere.requests).toHaveLength(0);
  });

  test('page and entry caps stop an endless or huge result, with a note', async () => {
    let served = 0;
    ehr.handle((_request, response) => {
      served += 1;
      sendJson(response, 200, page([`a${served}`, `b${served}`, `c${served}`], `${ehr.origin}/fhir/Condition?page=${served + 1}`));
    });
    const paged = await client().search('Condition', { patient: '1' }, { maxPages: 2 });
    expect(paged).toMatchObject({ kind: 'ok', notes: ['only the first 2 pages of results were read'] });
    expect(served).toBe(2);
    const capped = await client().search('Condition', { patient: '1' }, { maxEntries: 4 });
    expect(capped.kind === 'ok' && capped.value.entry).toHaveLength(4);
    expect(capped).toMatchObject({ notes: ['only the first 4 results were read'] });
  });

  test('a page that links to itself does not loop', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, page(['c1'], `${ehr.origin}/fhir/Condition?patient=1`)));
    const outcome = await client().search('Condition', { patient: '1' });
    expect(outcome.kind === 'ok' && outcome.value.entry).toHaveLength(1);
    expect(ehr.requests).toHaveLength(1);
  });

  test('a failure on a later page fails the whole search', async () => {
    ehr.handle((request, response) =>
      request.url!.includes('page=2') ? response.writeHead(503).end() : sendJson(response, 200, page(['c1'], `${ehr.origin}/fhir/Condition?page=2`)));
    await expect(client().search('Condition', { patient: '1' })).resolves.toEqual({ kind: 'failed', status: 503, reason: 'the EHR answered 503' });
  });

  test('OperationOutcome entries: errors without results fail, errors with results warn, warnings are dropped', async () => {
    const outcomeEntry = (severity: string): object => ({
      resource: { resourceType: 'OperationOutcome', issue: [{ severity, code: 'processing' }] },
      search: { mode: 'outcome' },
    });
    const answers = [
      { ...page([]), entry: [outcomeEntry('error')] },
      { ...page(['c1']), entry: [...page(['c1']).entry!, outcomeEntry('warning')] },
      { ...page(['c1']), entry: [...page(['c1']).entry!, outcomeEntry('error')] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception' }] },
    ];
    ehr.handle((_request, response) => sendJson(response, 200, answers.shift()));
    const fhir = client();
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toEqual({ kind: 'failed', reason: 'the EHR reported an error for this search' });
    const withWarning = await fhir.search('Condition', { patient: '1' });
    expect(withWarning).not.toHaveProperty('notes');
    expect(withWarning.kind === 'ok' && withWarning.value.entry?.map((entry) => entry.resource?.resourceType)).toEqual(['Condition']);
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toMatchObject({
      kind: 'ok',
      notes: ['the EHR reported a problem, so the list may be incomplete'],
    });
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an error' });
  });
});
