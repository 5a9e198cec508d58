import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createLogger } from '../../server/log';
import { createAccessTokenProvider } from '../../server/launch/access-token';
import { appSigningKeyFromJwk, generateAppJwk, signClientAssertion } from '../../server/launch/app-keys';
import { grantsCreate } from '../../server/launch/granted-scopes';
import { parseTokenResponse } from '../../server/launch/token-response';
import type { Db } from '../../server/store/db';
import { openDb } from '../../server/store/db';
import type { LaunchSession } from '../../server/store/launch-sessions';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import { createSealedBox } from '../../server/store/sealed-box';
import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { FAKE_EHR_PATHS, startFakeEhr } from '../support/fake-ehr';
import { call, completedChecklist, openLaunch, queueFault } from '../support/filing-helpers';
import type { CompletedLaunch } from '../support/launch-helpers';
import { contextOf, launchAs, launchUntilCallback, simulatorLaunchUrl } from '../support/launch-helpers';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review catalogue group C (security-reliability §6): the token endpoint and refresh. The launch runs against the
 * sandbox EHR (which also reproduces the SMART App Launcher's simulated errors, §2.3) and against fake EHRs whose
 * token endpoint answers what a broken one would; refresh is driven directly against a recording token endpoint.
 * Whatever fails, the clinician reads what happened and what to do, the audit trail has a row, and no token, code,
 * verifier or client assertion reaches the log.
 */
const PATIENT = 'anticoagulant-patient';
let system: TestSystem;
const fakes: Record<'broken' | 'odd', FakeEhr> = {} as never;

beforeAll(async () => {
  fakes.broken = await startFakeEhr();
  fakes.odd = await startFakeEhr();
  system = await startTestSystem({
    SANDBOX: 'on',
    // The fake EHRs are real tenants on loopback http: the sandbox rules, chosen explicitly.
    ITDD_ENV: 'sandbox',
    EHR_TENANTS: JSON.stringify(Object.entries(fakes).map(([name, ehr]) => ehr.tenant(name))),
  });
});

afterAll(async () => {
  await system.close();
  await Promise.all(Object.values(fakes).map((ehr) => ehr.close()));
});

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** The page as a clinician reads it: tags dropped, entities decoded, spaces collapsed. */
async function pageText(response: Response): Promise<string> {
  const text = (await response.text()).replace(/<[^>]+>/g, ' ').replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
  return text.replace(/\s+/g, ' ');
}

interface AuditRow {
  action: string;
  outcome: string;
  reason: string | null;
}

const headSeq = async (): Promise<number> => Number((await system.db.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_head'))[0]?.seq ?? 0);
const auditSince = async (seq: number): Promise<AuditRow[]> =>
  system.db.query<AuditRow>("SELECT action, outcome, record->>'reason' AS reason FROM audit_events WHERE seq > $1 ORDER BY seq", [seq]);
const sandboxTokenRequests = (): number => (system.sandbox?.requests() ?? []).filter((r) => r.method === 'POST' && r.path === '/auth/token').length;
const fakeTokenPosts = (ehr: FakeEhr): number => ehr.requests.filter((r) => r.method === 'POST' && r.url === FAKE_EHR_PATHS.token).length;

/** Nothing that grants access — tokens the sandbox issued, these values — is in any log line. */
function expectNoneLogged(values: (string | null | undefined)[]): void {
  const log = system.logLines.join('\n');
  for (const value of [...values, ...(system.sandbox?.sandboxSecrets() ?? [])]) {
    if (value !== undefined && value !== null && value !== '') {
      expect(log).not.toContain(value);
    }
  }
}

/** A fake EHR launch up to and through the callback, with the code the EHR would have sent. */
async function fakeLaunch(ehr: FakeEhr, code = `code-${crypto.randomBytes(12).toString('base64url')}`): Promise<{ response: Response; code: string; state: string }> {
  const agent = new CookieAgent();
  const begun = await agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(ehr.iss)}&launch=launch-123`);
  expect(begun.status).toBe(303);
  const state = new URL(begun.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const response = await agent.request(`${system.appUrl}/callback?code=${code}&state=${state}`);
  return { response, code, state };
}

/** What the last token request to a fake EHR carried that must stay secret. */
function secretsOfLastExchange(ehr: FakeEhr): string[] {
  const body = ehr.tokenRequests.at(-1);
  return ['code', 'code_verifier', 'client_assertion'].map((name) => body?.get(name) ?? '').filter((v) => v !== '');
}

describe('C1: a replayed authorization code', () => {
  test('C1: a code the EHR already redeemed is refused once, with a relaunch page and an audit row; the app never retries it', async () => {
    const agent = new CookieAgent();
    const first = new URL(await launchUntilCallback(system, { patient: PATIENT }, agent));
    const second = new URL(await launchUntilCallback(system, { patient: PATIENT }, agent));
    expect((await agent.request(first.href)).status).toBe(303);
    // The first launch's code, presented with the second launch's (valid, unspent) state: the EHR refuses it.
    const replay = `${system.appUrl}/callback?code=${first.searchParams.get('code') ?? ''}&state=${second.searchParams.get('state') ?? ''}`;
    const before = sandboxTokenRequests();
    const start = await headSeq();
    const refused = await agent.request(replay);
    expect(refused.status).toBe(401);
    const text = await pageText(refused);
    expect(text).toMatch(/did not accept this launch's sign-in code/);
    expect(text).toMatch(/launch ITDD Consent again/);
    expect(sandboxTokenRequests() - before).toBe(1);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'code_refused' }]);
    // Presented again, the state is spent: nothing more is sent to the EHR.
    const again = await agent.request(replay);
    expect(again.status).toBe(401);
    expect(await pageText(again)).toMatch(/already used/);
    expect(sandboxTokenRequests() - before).toBe(1);
    expectNoneLogged([first.searchParams.get('code'), second.searchParams.get('state')]);
  });
});

describe('C2: a failing token endpoint', () => {
  test('C2: a failing token endpoint (500, HTML body) is a 502 page asking to relaunch later, after one request', async () => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: PATIENT, error: 'token_failure' }, agent));
    const before = sandboxTokenRequests();
    const start = await headSeq();
    const response = await agent.request(callback.href);
    expect(response.status).toBe(502);
    const text = await pageText(response);
    expect(text).toMatch(/token service failed/);
    expect(text).toMatch(/Try launching again in a minute/);
    expect(sandboxTokenRequests() - before).toBe(1);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'token_exchange_failed' }]);
    expectNoneLogged([callback.searchParams.get('code')]);
  });

  test('C2: an HTML page behind a 200 is not taken for a token response', async () => {
    const ehr = fakes.broken;
    ehr.token = { kind: 'answer', status: 200, contentType: 'text/html', body: '<html><body>Sign in to continue</body></html>' };
    const before = fakeTokenPosts(ehr);
    const start = await headSeq();
    const { response, code } = await fakeLaunch(ehr);
    expect(response.status).toBe(502);
    expect(await pageText(response)).toMatch(/token service failed/);
    expect(fakeTokenPosts(ehr) - before).toBe(1);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'token_exchange_failed' }]);
    expectNoneLogged([code, ...secretsOfLastExchange(ehr)]);
  });

  test('C2: a token endpoint that never answers is a "did not answer in time" page at the deadline, after one request', async () => {
    const ehr = fakes.broken;
    ehr.token = { kind: 'hang' };
    const before = fakeTokenPosts(ehr);
    const start = await headSeq();
    const began = Date.now();
    const { response, code } = await fakeLaunch(ehr);
    expect(Date.now() - began).toBeLessThan(30_000);
    expect(response.status).toBe(504);
    expect(await pageText(response)).toMatch(/did not answer in time/);
    expect(fakeTokenPosts(ehr) - before).toBe(1);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'token_exchange_timeout' }]);
    expectNoneLogged([code, ...secretsOfLastExchange(ehr)]);
  }, 45_000);
});

describe('C3: a token response without a patient', () => {
  const base = { access_token: 'a'.repeat(40), token_type: 'Bearer', expires_in: 600, scope: 'openid', patient: 'p-1', id_token: 'x.y.z' };

  test.each([
    ['no patient', { ...base, patient: undefined }],
    ['a patient that is not a FHIR id', { ...base, patient: '../Patient/x' }],
  ])('C3: a token response with %s is refused: the app does not guess', (_what, raw) => {
    expect(() => parseTokenResponse(raw as Record<string, unknown>)).toThrow(/which patient/);
  });

  test('C3: through the app, a launch whose token names no patient stops with a clear page before any chart read', async () => {
    const ehr = fakes.odd;
    ehr.token = { kind: 'ok', fields: { patient: undefined } };
    const start = await headSeq();
    const { response } = await fakeLaunch(ehr);
    expect(response.status).toBe(401);
    expect(await pageText(response)).toMatch(/did not say which patient this launch is for, so the app will not guess/);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'patient_missing' }]);
    expect(ehr.requests.filter((r) => r.url.startsWith('/fhir/') && !r.url.includes('.well-known'))).toHaveLength(0);
  });
});

describe('C4: narrower scopes than asked', () => {
  test('C4: a read refused for scope is "not authorized", a failing one "could not read" — never empty', async () => {
    const launch = await launchAs(system, { patient: PATIENT, deny: ['AllergyIntolerance'], fail: ['Procedure'] });
    const body = await contextOf(system, launch);
    expect(body.context.reads.allergies.state).toBe('not-authorized');
    expect(body.context.reads.procedures.state).toBe('failed');
    const notes = body.readNotes.map((n: { text: string }) => n.text).join(' | ');
    expect(notes).toMatch(/not authorized to read allergies/i);
    expect(notes).toMatch(/could not read procedures/i);
    expect(body.context.reads.conditions.state).toBe('ok');
  });

  test.each([
    ['patient/DocumentReference.crus', true],
    ['user/DocumentReference.c', true],
    ['patient/DocumentReference.c?category=clinical-note', true],
    ['patient/DocumentReference.write', true],
    ['patient/*.*', true],
    ['patient/DocumentReference.rs', false],
    ['patient/DocumentReference.read', false],
    ['system/DocumentReference.c', false],
    ['patient/Observation.crus', false],
    ['patient/DocumentReference.sc', false],
    ['openid', false],
  ])('C4: a grant of "%s" allows filing a note: %s', (scope, allowed) => {
    expect(grantsCreate(`launch openid fhirUser ${scope}`, 'DocumentReference')).toBe(allowed);
  });

  test('C4: a token response without scope is taken as granting what was asked (RFC 6749 §5.1)', () => {
    expect(grantsCreate('', 'DocumentReference')).toBe(true);
  });

  test('C4: without the DocumentReference write scope, filing is disabled with the reason and refused on the server; attesting still works', async () => {
    const launch = await launchAs(system, { patient: PATIENT, deny: ['DocumentReference'] });
    expect(launch.finalResponse.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
    const s: { launch: CompletedLaunch; csrf: string; api: string } = { launch, csrf, api: `${system.appUrl}/api/launches/${launch.launchId}/discussion` };
    const saved = await completedChecklist(system, s);
    expect(saved.status).toBe(200);
    expect(saved.body.discussion).toBeDefined();
    const view = await call(system, s, 'GET', s.api);
    expect(view.body.permissions).toMatchObject({ attest: true, file: false });
    expect(view.body.permissions.reason).toMatch(/did not give this launch permission to file notes/);
    const attested = await call(system, s, 'POST', `${s.api}/attest`, { version: saved.body.discussion.version });
    expect(attested.status).toBe(200);
    const writesBefore = system.sandbox!.sandboxWriteLog().length;
    const start = await headSeq();
    const filed = await call(system, s, 'POST', `${s.api}/file`, { discussionId: attested.body.discussion.id });
    expect(filed.status).toBe(403);
    expect(filed.body.details.reason).toBe('scope_not_granted');
    expect(await auditSince(start)).toEqual([{ action: 'discussion.refused', outcome: 'refused', reason: 'scope_not_granted' }]);
    expect(system.sandbox!.sandboxWriteLog().length).toBe(writesBefore);
  });
});

describe('C5: token_type and expires_in', () => {
  const base = { access_token: 'a'.repeat(40), token_type: 'Bearer', expires_in: 600, scope: 'openid', patient: 'p-1', id_token: 'x.y.z' };

  test.each([['mac'], ['DPoP'], [undefined]])('C5: a token response of type %p is refused', (tokenType) => {
    expect(() => parseTokenResponse({ ...base, token_type: tokenType })).toThrow(/unexpected type/);
  });

  test.each([[undefined], [0], [-60], ['600']])('C5: a lifetime of %p is taken as short (5 minutes)', (expiresIn) => {
    const parsed = parseTokenResponse({ ...base, expires_in: expiresIn }, 0);
    expect(parsed.tokens.expiresAt.getTime()).toBe(300_000);
  });

  test('C5: through the app, a launch whose token is not a Bearer token stops with a clear page and an audit row', async () => {
    const ehr = fakes.odd;
    ehr.token = { kind: 'ok', fields: { token_type: 'DPoP' } };
    const start = await headSeq();
    const { response } = await fakeLaunch(ehr);
    expect(response.status).toBe(401);
    expect(await pageText(response)).toMatch(/token of an unexpected type/);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason: 'token_type' }]);
  });
});

/**
 * The SMART App Launcher's `auth_error` modes (security-reliability §2.3) that reach this app, as the sandbox EHR
 * reproduces them (`server/sandbox/types.ts`). Launch-time modes end on the callback's page; the others end the
 * session when the chart is read. Each is told apart by its page and its audit reason.
 */
describe('C6: the SMART App Launcher\'s simulated errors', () => {
  const setup = /This is a setup problem: launching again will not fix it.*Tell your EHR analyst/;
  const sessionOver = /Your session with the EHR has ended.*Launch the app again from the patient's chart/;

  test.each([
    { mode: 'auth_invalid_scope', fault: 'auth_invalid_scope', page: /refused this app's sign-in request \(EHR error code: invalid_scope\)/, reason: 'ehr_authorize_setup' },
    { mode: 'token_invalid_token', fault: 'invalid_client', page: /refused this app's sign-in credentials \(EHR error code: invalid_client\)/, reason: 'token_endpoint_setup' },
    { mode: 'token_invalid_jti', fault: 'token_invalid_jti', page: /refused this app's sign-in credentials \(EHR error code: invalid_client\)/, reason: 'token_endpoint_setup' },
  ])('C6: $mode is a setup page for the analyst (502) with the EHR\'s code, and launch.rejected $reason', async ({ fault, page, reason }) => {
    const start = await headSeq();
    const { response, url } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: PATIENT, error: fault }));
    expect(url).toMatch(/\/callback\?/);
    expect(response.status).toBe(502);
    const text = await pageText(response);
    expect(text).toMatch(page);
    expect(text).toMatch(setup);
    expect(text).not.toMatch(/in a minute|did not authorize/);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', outcome: 'refused', reason }]);
    for (const secret of system.sandbox!.sandboxSecrets()) {
      expect(text).not.toContain(secret);
    }
  });

  test.each([
    { mode: 'request_invalid_token', fault: 'request_invalid_token' },
    { mode: 'request_expired_token', fault: 'request_expired_token' },
  ])('C6: $mode (every FHIR call 401) brings one refresh, then a "session ended" page and a failed chart.read', async ({ fault }) => {
    const before = sandboxTokenRequests();
    const start = await headSeq();
    const { response, url } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: PATIENT, error: fault }));
    expect(url).toMatch(/\/callback\?/);
    expect(response.status).toBe(401);
    const text = await pageText(response);
    expect(text).toMatch(sessionOver);
    expect(text).not.toMatch(/not authorized to read/);
    // The code exchange and exactly one refresh: a refused fresh token is not refreshed again.
    expect(sandboxTokenRequests() - before).toBe(2);
    expect(await auditSince(start)).toEqual([
      { action: 'launch.accepted', outcome: 'success', reason: null },
      { action: 'chart.read', outcome: 'failure', reason: 'ehr_session_ended' },
    ]);
    expectNoneLogged([]);
  });

  test('C6: token_expired_refresh_token (every refresh refused) ends the session when the access token is refused, once and clearly', async () => {
    const launch = await launchAs(system, { patient: PATIENT, error: 'refresh_refused' });
    expect(launch.finalResponse.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
    await queueFault(system, { fault: 'unauthorized', scope: 'read', patient: PATIENT, count: 1 });
    const before = sandboxTokenRequests();
    const start = await headSeq();
    const refresh = await call(system, { launch, csrf }, 'POST', `${system.appUrl}/api/launches/${launch.launchId}/chart/refresh`);
    expect(refresh.status).toBe(401);
    expect(refresh.body.details.reason).toBe('ehr_session_ended');
    expect(`${refresh.body.message as string} ${refresh.body.hint as string}`).toMatch(sessionOver);
    expect(sandboxTokenRequests() - before).toBe(1);
    expect(await auditSince(start)).toEqual([{ action: 'chart.read', outcome: 'failure', reason: 'ehr_session_ended' }]);
    expectNoneLogged([]);
  });
});

describe('C7: client assertions', () => {
  const key = appSigningKeyFromJwk(generateAppJwk());
  const tokenUrl = 'https://ehr.example/oauth2/token';

  test('C7: two client assertions in the same second carry distinct jti and exp within 300 s', () => {
    const publicKey = crypto.createPublicKey({ key: key.publicJwk, format: 'jwk' });
    const now = Math.floor(Date.now() / 1000);
    const assertions = [0, 1].map(() => signClientAssertion(key, 'itdd-consent', tokenUrl, 'https://app.example/.well-known/jwks.json'));
    const claims = assertions.map((a) => jwt.verify(a, publicKey, { algorithms: ['RS384'], audience: tokenUrl, issuer: 'itdd-consent' }) as jwt.JwtPayload);
    expect(claims[0]?.jti).toEqual(expect.any(String));
    expect(claims[0]?.jti).not.toBe(claims[1]?.jti);
    for (const claim of claims) {
      expect(claim.sub).toBe('itdd-consent');
      expect(claim.exp ?? 0).toBeGreaterThan(now);
      expect((claim.exp ?? 0) - now).toBeLessThanOrEqual(300);
    }
    for (const assertion of assertions) {
      expect(jwt.decode(assertion, { complete: true })?.header).toMatchObject({ alg: 'RS384', typ: 'JWT', kid: key.publicJwk.kid });
    }
  });

  test('C7: two launches at once both pass the EHR\'s jti replay check', async () => {
    const launches = await Promise.all([0, 1].map(() => launchAs(system, { patient: PATIENT })));
    expect(launches.map((l) => l.finalResponse.status)).toEqual([200, 200]);
  });
});

/** Refresh against a recording token endpoint (its answer set per test), over a store of the app's own. */
let db: Db;
let store: LaunchSessionStore;
let tokenEndpoint: RecordingServer;
const refreshKey = appSigningKeyFromJwk(generateAppJwk());
const bodies: URLSearchParams[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  db = await openDb({});
  store = new LaunchSessionStore(db, createSealedBox({ current: { id: 'k1', key: crypto.randomBytes(32) } }), { idleMs: 60_000, maxMs: 3_600_000 });
  tokenEndpoint = await startRecordingServer();
  tokenEndpoint.handle((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      bodies.push(new URLSearchParams(raw));
      setTimeout(() => sendJson(res, answer.status, answer.body, 'application/json'), 50);
    });
  });
});

afterAll(async () => {
  await tokenEndpoint.close();
  await db.close();
});

async function expiredSession(): Promise<LaunchSession> {
  return store.create({
    launchId: crypto.randomBytes(24).toString('base64url'),
    browserSessionId: crypto.randomBytes(32).toString('base64url'),
    tenantId: 'sandbox',
    fhirBaseUrl: `${tokenEndpoint.origin}/fhir`,
    patientId: 'p1',
    context: { tokenUri: `${tokenEndpoint.origin}/token` },
    tokens: { accessToken: 'old-access', refreshToken: 'old-refresh', tokenType: 'Bearer', scope: 'openid', expiresAt: new Date(Date.now() - 1000) },
    csrfToken: crypto.randomBytes(32).toString('base64url'),
  });
}

const refreshDeps = (): Parameters<typeof createAccessTokenProvider>[0] => ({
  store,
  signingKey: refreshKey,
  clientId: 'itdd-consent',
  jwksUrl: 'http://app.example/.well-known/jwks.json',
  logger: createLogger('silent'),
});

describe('C8: concurrent refresh', () => {
  test('C8: concurrent callers at expiry cause exactly one refresh, signed with private_key_jwt, and the rotation is stored', async () => {
    bodies.length = 0;
    answer = { status: 200, body: { access_token: 'new-access', refresh_token: 'new-refresh', token_type: 'Bearer', expires_in: 600, scope: 'openid' } };
    const session = await expiredSession();
    const provider = createAccessTokenProvider(refreshDeps(), session);
    const tokens = await Promise.all([provider.getAccessToken(), provider.getAccessToken(), provider.getAccessToken()]);
    expect(tokens).toEqual(['new-access', 'new-access', 'new-access']);
    expect(bodies).toHaveLength(1);
    const body = bodies[0];
    expect(body.get('grant_type')).toBe('refresh_token');
    expect(body.get('refresh_token')).toBe('old-refresh');
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = jwt.verify(body.get('client_assertion') ?? '', crypto.createPublicKey({ key: refreshKey.publicJwk, format: 'jwk' }), { algorithms: ['RS384'] }) as jwt.JwtPayload;
    expect(assertion).toMatchObject({ iss: 'itdd-consent', sub: 'itdd-consent', aud: `${tokenEndpoint.origin}/token` });
    expect((assertion.exp ?? 0) - (assertion.iat ?? 0)).toBeLessThanOrEqual(300);
    const stored = await store.get(session.launchId, session.browserSessionId);
    expect(stored?.tokens.refreshToken).toBe('new-refresh');
    expect(stored?.tokens.accessToken).toBe('new-access');
  });
});

describe('C9: a refused refresh', () => {
  // 400 is RFC 6749's answer; the SMART App Launcher's expired refresh token answers 403.
  test.each([[400], [403]])('C9: a refresh refused with %s invalid_grant reports false once and does not retry in a loop', async (status) => {
    bodies.length = 0;
    answer = { status, body: { error: 'invalid_grant' } };
    const provider = createAccessTokenProvider(refreshDeps(), await expiredSession());
    expect(await provider.refreshAfterUnauthorized()).toBe(false);
    expect(await provider.refreshAfterUnauthorized()).toBe(false);
    expect(await provider.getAccessToken()).toBe('old-access');
    expect(bodies).toHaveLength(1);
    expect(provider.sessionEnded()).toBe(true);
  });
});

describe('C5: refresh answers', () => {
  test.each([['mac'], ['DPoP'], [undefined]])('C5: a refresh answered with a token of type %p is not used, and ends the session', async (tokenType) => {
    bodies.length = 0;
    answer = { status: 200, body: { access_token: 'odd-access', refresh_token: 'odd-refresh', token_type: tokenType, expires_in: 600 } };
    const session = await expiredSession();
    const provider = createAccessTokenProvider(refreshDeps(), session);
    expect(await provider.refreshAfterUnauthorized()).toBe(false);
    expect(provider.sessionEnded()).toBe(true);
    expect((await store.get(session.launchId, session.browserSessionId))?.tokens.accessToken).toBe('old-access');
  });

  test('C5: a refresh answer without expires_in is taken as a 5-minute token', async () => {
    bodies.length = 0;
    answer = { status: 200, body: { access_token: 'short-access', token_type: 'bearer' } };
    const session = await expiredSession();
    const before = Date.now();
    expect(await createAccessTokenProvider(refreshDeps(), session).refreshAfterUnauthorized()).toBe(true);
    const stored = await store.get(session.launchId, session.browserSessionId);
    expect(stored?.tokens.accessToken).toBe('short-access');
    expect(stored?.tokens.refreshToken).toBe('old-refresh');
    const lifetime = (stored?.tokens.expiresAt.getTime() ?? 0) - before;
    expect(lifetime).toBeGreaterThan(290_000);
    expect(lifetime).toBeLessThanOrEqual(300_000 + (Date.now() - before));
  });
});

describe('C10: a token revoked mid-session', () => {
  test('C10: the 401 brings one refresh and the chart is read on with the new token', async () => {
    const session = await openLaunch(system, PATIENT, 'generic');
    await queueFault(system, { fault: 'unauthorized', scope: 'read', patient: PATIENT, count: 1 });
    const before = sandboxTokenRequests();
    const refresh = await call(system, session, 'POST', `${system.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`);
    expect(refresh.status).toBe(200);
    expect(sandboxTokenRequests() - before).toBe(1);
    const context = await contextOf(system, session.launch);
    expect(context.readNotes).toEqual([]);
  });

  test('C10: a refused refresh ends the session once, clearly; the snapshot and the answers are kept and a relaunch resumes them', async () => {
    // The launch that will end: its refresh token is refused by the EHR (as after a revocation or a server restart).
    const launch = await launchAs(system, { patient: PATIENT, vendor: 'generic', error: 'refresh_refused' });
    expect(launch.finalResponse.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
    const launchId = launch.launchId;
    const s = { launch, csrf, api: `${system.appUrl}/api/launches/${launchId}/discussion` };
    const saved = await completedChecklist(system, s);
    expect(saved.status).toBe(200);
    const before = await contextOf(system, s.launch);

    // The access token is revoked (the next read gets 401); the refresh the app then tries is refused.
    await queueFault(system, { fault: 'unauthorized', scope: 'read', patient: PATIENT, count: 1 });
    const tokenRequestsBefore = sandboxTokenRequests();
    const refresh = await call(system, s, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`);
    expect(refresh.status).toBe(401);
    expect(refresh.body.details.reason).toBe('ehr_session_ended');
    expect(refresh.body.message).toMatch(/session with the EHR has ended/);
    expect(refresh.body.hint).toMatch(/Launch the app again from the patient's chart: everything entered so far is kept/);
    expect(sandboxTokenRequests() - tokenRequestsBefore).toBe(1);

    // The chart as read at launch is still what the page shows (not ten "not authorized" notes), the answers are kept.
    const after = await contextOf(system, s.launch);
    expect(after.chartRead).toEqual(before.chartRead);
    expect(after.readNotes).toEqual([]);
    const view = await call(system, s, 'GET', s.api);
    expect(Object.keys(view.body.discussion.answers as object).length).toBe(Object.keys(saved.body.discussion.answers as object).length);

    // A relaunch from the chart opens the same draft with everything entered.
    const relaunch = await openLaunch(system, PATIENT, 'generic');
    const resumed = await call(system, relaunch, 'GET', relaunch.api);
    expect(resumed.body.discussion.id).toBe(saved.body.discussion.id);
    expect(resumed.body.discussion.answers).toEqual(saved.body.discussion.answers);
  });
});
