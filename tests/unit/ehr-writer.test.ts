import type http from 'node:http';
import type { DocumentReference } from 'fhir/r4';
import { clearCapabilityCache, conditionalCreateFor, conditionalCreateTypes } from '../../server/writeback/capability';
import { classifyCreateAnswer, postDocumentReference } from '../../server/writeback/ehr-writer';
import type { WriteAnswer, WriteSettings } from '../../server/writeback/fhir-write';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';

/**
 * The EHR writer: what each answer to a create means for the ledger (H2, H3, H5, H6, H8), that a request carries
 * what the EHR needs and nothing it must not get, and that `If-None-Exist` is sent only where advertised (H7).
 */
const BASE = 'https://ehr.example.org/fhir';
const IDENTIFIER = 'urn:uuid:3f0c1a52-8d5e-4b7a-9c21-6e4f0b9d2a17';

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

  test.each([400, 422])('%d is refused for good with a readable reason, and a PHI-free one for logs (H5)', (status) => {
    const outcome = classifyCreateAnswer(answer(status, {}, OUTCOME), BASE, false);
    expect(outcome).toMatchObject({ kind: 'rejected', status, code: 'rejected' });
    const summary = outcome.kind === 'rejected' ? outcome.summary : undefined;
    expect(summary?.safe).toBe(`HTTP ${status}: required at DocumentReference.context.encounter`);
    expect(summary?.safe).not.toContain('Canary');
    expect(summary?.readable).toBe('Encounter is required for Mrs Canary-Patient (DocumentReference.context.encounter)');
  });

  test('a refusal without an OperationOutcome still says which status', () => {
    const outcome = classifyCreateAnswer(answer(422, {}, '<html>nope</html>'), BASE, false);
    expect(outcome.kind === 'rejected' ? outcome.summary : undefined).toEqual({ safe: 'HTTP 422', readable: undefined });
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

describe('If-None-Exist only where advertised (H7)', () => {
  let server: RecordingServer;

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

  beforeAll(async () => {
    server = await startRecordingServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => clearCapabilityCache());

  test('a US Core server advertising conditionalCreate gets the identifier condition', async () => {
    metadata(true);
    expect(await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER)).toBe(`identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${IDENTIFIER}`)}`);
  });

  test.each([
    ['says false', false, 200],
    ['says nothing', undefined, 200],
    ['cannot be read', true, 500],
  ])('a server whose statement %s gets none', async (_name, flag, status) => {
    metadata(flag, status);
    expect(await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER)).toBeUndefined();
  });

  test.each(['epic', 'oracle'] as const)('the %s profile never sends it, whatever the server says', async (profile) => {
    metadata(true);
    const before = server.requests.length;
    expect(await conditionalCreateFor(settingsFor(), profile, IDENTIFIER)).toBeUndefined();
    expect(server.requests.length).toBe(before);
  });

  test('the statement is read once per base, then cached', async () => {
    metadata(true);
    const before = server.requests.length;
    await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
    await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
    await conditionalCreateFor(settingsFor(), 'us-core', IDENTIFIER);
    expect(server.requests.slice(before).map((r) => r.url)).toEqual(['/fhir/metadata']);
  });

  test('conditionalCreateTypes reads only what is advertised as true', () => {
    expect([...conditionalCreateTypes({ resourceType: 'CapabilityStatement', rest: [{ resource: [{ type: 'A', conditionalCreate: true }, { type: 'B', conditionalCreate: false }, { type: 'C' }] }] })]).toEqual(['A']);
    expect(conditionalCreateTypes({ resourceType: 'Patient' }).size).toBe(0);
    expect(conditionalCreateTypes(null).size).toBe(0);
  });
});
