import type http from 'node:http';
import type { DocumentReference } from 'fhir/r4';
import { clearCapabilityCache } from '../../server/writeback/capability';
import { classifyCreateAnswer, postDocumentReference } from '../../server/writeback/ehr-writer';
import type { WriteAnswer, WriteSettings } from '../../server/writeback/fhir-write';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';

/**
 * The EHR writer: what each answer to a create means for the ledger (H2, H3, H6, H8) and that a request carries
 * what the EHR needs and nothing it must not get. A refusal's readable reason (H5) and `If-None-Exist` only where
 * advertised (H7) are in tests/adversarial/h-writes.test.ts.
 */
const BASE = 'https://ehr.example.org/fhir';

function answer(status: number, headers: Record<string, string> = {}, text?: string): WriteAnswer {
  return { kind: 'answer', status, headers: new Headers(headers), text };
}

const OUTCOME = JSON.stringify({
  resourceType: 'OperationOutcome',
  issue: [
    { severity: 'warning', code: 'informational', diagnostics: 'ignored warning' },
    { severity: 'error', code: 'required', expression: ['DocumentReference.context.encounter'], diagnostics: 'Encounter is required for Mrs Canary-Patient' },
  ],
});

describe('classifyCreateAnswer', () => {
  test.each<[string, WriteAnswer, boolean, Record<string, unknown>]>([
    ['201 with an absolute Location', answer(201, { location: `${BASE}/DocumentReference/7/_history/1` }), false,
      { kind: 'created', status: 201, matched: false, location: { id: '7', versionId: '1', url: `${BASE}/DocumentReference/7` } }],
    ['201 with a relative Location and an empty body (Epic)', answer(201, { location: 'DocumentReference/e7' }, ''), false,
      { kind: 'created', matched: false, location: { id: 'e7', url: `${BASE}/DocumentReference/e7` } }],
    ['201 without Location but the resource in the body', answer(201, {}, JSON.stringify({ resourceType: 'DocumentReference', id: 'b-9' })), false,
      { kind: 'created', bodyId: 'b-9' }],
    ['201 with a Location on another server', answer(201, { location: 'https://evil.example/fhir/DocumentReference/1' }), false,
      { kind: 'created', matched: false }],
    ['200 to a conditional create: already there (H8)', answer(200, { location: `${BASE}/DocumentReference/old` }), true,
      { kind: 'created', status: 200, matched: true, location: { id: 'old' } }],
    ['200 to a plain create is just a create', answer(200, { location: `${BASE}/DocumentReference/x` }), false,
      { kind: 'created', matched: false }],
    ['429 with Retry-After', answer(429, { 'retry-after': '2' }), false, { kind: 'not-applied', reason: 'throttled', retryAfter: '2' }],
    ['503 without Retry-After', answer(503), false, { kind: 'not-applied', reason: 'unavailable', retryAfter: null }],
    ['401', answer(401), false, { kind: 'unauthorized' }],
    ['412: several matches', answer(412, {}, OUTCOME), true, { kind: 'rejected', status: 412, code: 'duplicates_matched' }],
    ['403', answer(403, {}, ''), false, { kind: 'rejected', status: 403, code: 'forbidden' }],
    ['500 (maybe stored)', answer(500, {}, OUTCOME), false, { kind: 'unknown', reason: 'server-error', status: 500 }],
    ['502 without a body', answer(502), false, { kind: 'unknown', reason: 'server-error', status: 502 }],
    ['a redirect (not followed)', answer(302, { location: 'https://login.example/' }), false, { kind: 'unknown', reason: 'redirect' }],
    ['a timeout after sending', { kind: 'no-answer', sent: true, reason: 'timeout' }, false, { kind: 'unknown', reason: 'timeout' }],
    ['a reset after sending (H2)', { kind: 'no-answer', sent: true, reason: 'connection-lost' }, false, { kind: 'unknown', reason: 'connection-lost' }],
    ['connection refused: never sent', { kind: 'no-answer', sent: false, reason: 'unreachable' }, false, { kind: 'not-applied', reason: 'unreachable' }],
    ['the app stopping', { kind: 'no-answer', sent: true, reason: 'aborted' }, false, { kind: 'aborted' }],
  ])('%s', (_name, given, conditional, expected) => {
    expect(classifyCreateAnswer(given, BASE, conditional)).toMatchObject(expected);
  });
});

describe('over HTTP', () => {
  let server: RecordingServer;
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const document: DocumentReference = { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: 'aGk=' } }] };

  function settings(overrides: Partial<WriteSettings> = {}): WriteSettings {
    return { baseUrl: `${server.origin}/fhir`, getAccessToken: () => Promise.resolve('tok-123'), timeoutMs: 2_000, maxBytes: 100_000, fetchImpl: fetch, ...overrides };
  }

  function answerWith(status: number, headers: Record<string, string> = {}, body = ''): void {
    server.handle((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ headers: request.headers, body: text });
        response.writeHead(status, headers).end(body);
      });
    });
  }

  beforeAll(async () => {
    server = await startRecordingServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    seen.length = 0;
    clearCapabilityCache();
  });

  test('a create is one POST of FHIR JSON with the token, to [base]/DocumentReference', async () => {
    answerWith(201, { location: 'DocumentReference/n1' });
    const outcome = await postDocumentReference(document, undefined, settings());
    expect(outcome).toMatchObject({ kind: 'created', location: { id: 'n1' } });
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', url: '/fhir/DocumentReference', authorization: 'Bearer tok-123' });
    expect(seen[0]?.headers['content-type']).toBe('application/fhir+json');
    expect(seen[0]?.headers['if-none-exist']).toBeUndefined();
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(document);
  });

  test('If-None-Exist goes with the request when given', async () => {
    answerWith(200, { location: `${server.origin}/fhir/DocumentReference/old` });
    const outcome = await postDocumentReference(document, 'identifier=a%7Cb', settings());
    expect(seen[0]?.headers['if-none-exist']).toBe('identifier=a%7Cb');
    expect(outcome).toMatchObject({ kind: 'created', matched: true, location: { id: 'old' } });
  });

  test('an EHR that never answers: unknown once the deadline passes (H2), not hanging', async () => {
    server.handle(() => undefined);
    const started = Date.now();
    const outcome = await postDocumentReference(document, undefined, settings({ timeoutMs: 300 }));
    expect(outcome).toEqual({ kind: 'unknown', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('an EHR that drops the connection after reading the request: unknown (H2)', async () => {
    server.handle((request) => {
      request.on('data', () => undefined);
      request.on('end', () => request.socket.destroy());
    });
    expect(await postDocumentReference(document, undefined, settings())).toEqual({ kind: 'unknown', reason: 'connection-lost' });
  });

  test('a server that is not listening: not sent, so safe to send again', async () => {
    const closed = await startRecordingServer();
    const base = `${closed.origin}/fhir`;
    await closed.close();
    expect(await postDocumentReference(document, undefined, settings({ baseUrl: base }))).toMatchObject({ kind: 'not-applied', reason: 'unreachable' });
  });

  test('a write addressed outside the tenant base is refused before any request', async () => {
    const before = server.requests.length;
    await expect(postDocumentReference(document, undefined, settings({ baseUrl: 'not a url' }))).rejects.toThrow(/outside/);
    expect(server.requests.length).toBe(before);
  });
});
