import type { TenantConfig } from '../../server/config';
import { loadConfig } from '../../server/config';
import { parseSmartConfiguration } from '../../server/launch/discovery';
import { normalizeIss, tenantForIss } from '../../server/launch/iss-allowlist';
import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { FAKE_EHR_PATHS, startFakeEhr } from '../support/fake-ehr';
import { contextOf, launchAs, launchUntilCallback, simulatorLaunchUrl } from '../support/launch-helpers';
import { auditHead, launchRejectionsSince, pageText, pendingAuthorizations, sandboxRequestCount } from '../support/launch-probes';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The hospital security reviewer's catalogue, group A (launch and discovery, security-reliability §6 A1–A10), each
 * case by its id. Whatever the launch URL or the EHR's discovery answer, a refusal is a clear page, an audit row,
 * and nothing sent where it should not go — counted at recording servers, never assumed.
 *
 * One system: the sandbox EHR (its simulator launches real patients) plus fake EHRs, one per discovery fault, each its
 * own tenant, so one fake's cached discovery never serves another. `outside` stands for every server the app must
 * never contact: an attacker's, an internal admin port, a redirect target.
 */
let system: TestSystem;
let outside: RecordingServer;
const FAKES = ['failing', 'slow', 'huge', 'malformed', 'pkce-absent', 'pkce-plain-only', 'pkce-plain-too', 'mixed-up', 'redirecting', 'control'] as const;
const ehrs = {} as Record<(typeof FAKES)[number], FakeEhr>;
const previousNodeEnv = process.env.NODE_ENV;

beforeAll(async () => {
  // As in production: fhirclient skips its discovery cache when NODE_ENV is "test", which once hid a poisoned cache
  // (a rejected discovery kept for the life of the process) from every test.
  process.env.NODE_ENV = 'production';
  outside = await startRecordingServer();
  for (const name of FAKES) {
    ehrs[name] = await startFakeEhr();
  }
  system = await startTestSystem({
    SANDBOX: 'on',
    // Real tenants on loopback http: the sandbox rules, chosen explicitly (production would refuse http).
    ITDD_ENV: 'sandbox',
    EHR_TENANTS: JSON.stringify([
      ...FAKES.map((name) => ehrs[name].tenant(name)),
      // An https EHR whose address, downgraded to http, is the outside server.
      { id: 'tls', name: 'TLS EHR', iss: `${outside.origin.replace(/^http:/, 'https:')}/fhir`, vendor: 'generic', clientId: 'itdd-consent' },
    ]),
  });
});

afterAll(async () => {
  process.env.NODE_ENV = previousNodeEnv;
  await system.close();
  await Promise.all([outside.close(), ...Object.values(ehrs).map((ehr) => ehr.close())]);
});

function sandboxGeneric(): TenantConfig {
  const tenant = loadConfig({}).tenants[0];
  if (tenant === undefined) {
    throw new Error('the default configuration has no tenant');
  }
  return tenant;
}

const sandboxIss = (): string => `${system.sandboxUrl ?? ''}/r4`;
const launchUrl = (iss: string, launch = 'launch-123'): string => `${system.appUrl}/launch?iss=${encodeURIComponent(iss)}&launch=${launch}`;

/** The EHR opens the app: GET /launch?iss&launch (the same route as the registered launch.html?iss&launch). */
async function startLaunch(ehr: FakeEhr, agent = new CookieAgent()): Promise<Response> {
  return agent.request(launchUrl(ehr.iss));
}

/** A launch that reached the EHR's authorize endpoint: the browser was sent there with a state. */
function expectAuthorizeRedirect(ehr: FakeEhr, response: Response): string {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(`${ehr.origin}${FAKE_EHR_PATHS.authorize}`);
  const state = location.searchParams.get('state');
  expect(state).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  return state ?? '';
}

/** Lets a request the app might still be making arrive before the recording servers are read. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));

/**
 * A launch the EHR side made impossible: an error page, no redirect to any authorize endpoint, no authorization
 * left waiting, and one `launch.rejected` row with the reason.
 */
async function expectFailedClosed(response: Response, status: number, reason: string, since: number, pendingBefore: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('location')).toBeNull();
  expect(await pendingAuthorizations(system)).toBe(pendingBefore);
  expect(await launchRejectionsSince(system, since)).toEqual([reason]);
  return pageText(response);
}

describe('A1: unknown iss', () => {
  test('A1: an iss not on the allow-list gets a clear 400 page, the app never contacts it, and the refusal is audited', async () => {
    const since = await auditHead(system);
    const response = await new CookieAgent().request(launchUrl(`${outside.origin}/fhir`, 'abc'));
    expect(response.status).toBe(400);
    const text = await pageText(response);
    expect(text).toMatch(/not one the app is set up to work with/);
    expect(text).toMatch(/nothing was contacted/);
    await settle();
    expect(outside.requests).toHaveLength(0);
    expect(outside.connections).toBe(0);
    expect(await launchRejectionsSince(system, since)).toEqual(['iss_not_allowed']);
  });
});

describe('A2: iss variants', () => {
  test.each([
    ['http://localhost:4001/fhir', 'http://localhost:4001/fhir'],
    ['http://LOCALHOST:4001/fhir/', 'http://localhost:4001/fhir'],
    ['HTTP://localhost:4001/fhir', 'http://localhost:4001/fhir'],
    ['https://ehr.example:443/fhir', 'https://ehr.example/fhir'],
  ])('A2: %s normalises to %s', (raw, expected) => {
    expect(normalizeIss(raw)).toBe(expected);
  });

  test.each([
    'https://ehr.example@evil.example/fhir',
    'http://localhost:4001/fhir?x=1',
    'http://localhost:4001/fhir#frag',
    'http://localhost:4001/%2e%2e/fhir',
    'http://localhost:4001/x/../fhir',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'not a url',
  ])('A2: refuses %s', (raw) => {
    expect(normalizeIss(raw)).toBeUndefined();
  });

  test('A2: matches the configured tenant exactly, not by host prefix', () => {
    const tenants = loadConfig({}).tenants.slice(0, 1);
    expect(tenantForIss(tenants, 'http://localhost:4001/r4/').id).toBe('sandbox-generic');
    expect(() => tenantForIss(tenants, 'http://localhost:4001/r4/other-tenant')).toThrow(/not one the app is set up/);
    expect(() => tenantForIss(tenants, 'http://localhost:4001')).toThrow();
  });

  test('A2: a trailing slash or a mixed-case scheme and host reach the configured EHR, under its configured address', async () => {
    const configured = sandboxIss();
    const port = new URL(configured).port;
    for (const variant of [`${configured}/`, `HTTP://LocalHost:${port}/r4`]) {
      const response = await new CookieAgent().request(launchUrl(variant, 'abc'));
      expect(response.status).toBe(303);
      const authorize = new URL(response.headers.get('location') ?? '');
      expect(authorize.origin).toBe(new URL(configured).origin);
      // The EHR is told the configured base, never the variant the launch URL carried.
      expect(authorize.searchParams.get('aud')).toBe(configured);
    }
  });

  test('A2: every other variant of a configured address is refused before any request to it or to what it names', async () => {
    const configured = new URL(sandboxIss());
    const outsideHost = new URL(outside.origin).host;
    const variants = [
      `${outside.origin}/fhir`, // the https tenant's address, downgraded to http
      `http://localhost:${configured.port}@${outsideHost}/r4`, // userinfo: the host is really the outside server
      `http://127.0.0.1:${configured.port}/r4`, // IP literal of the configured host
      `${configured.origin}/r4/other-tenant`, // another tenant's base on the same server
      `${configured.origin}/R4`, // paths are case-sensitive
      `${configured.origin}/x/%2e%2e/r4`, // encoded dot-segments
      `${configured.origin}/x/../r4`,
      `http://l\u043Ecalhost:${configured.port}/r4`, // IDN homograph: a Cyrillic "о"
    ];
    for (const variant of variants) {
      const since = await auditHead(system);
      const sandboxBefore = sandboxRequestCount(system);
      const response = await new CookieAgent().request(launchUrl(variant, 'abc'));
      expect([variant, response.status]).toEqual([variant, 400]);
      expect(await launchRejectionsSince(system, since)).toEqual(['iss_not_allowed']);
      await settle();
      expect(sandboxRequestCount(system)).toBe(sandboxBefore);
    }
    expect(outside.connections).toBe(0);
  });
});

describe('A3: internal addresses', () => {
  test.each([
    ['http://169.254.169.254/latest/meta-data/', 'the cloud metadata address'],
    ['http://localhost:{port}/admin', 'another local port by name'],
    ['http://127.0.0.1:{port}/fhir', 'another local port by address'],
    ['http://0.0.0.0:{port}/fhir', 'the unspecified address'],
    ['javascript:alert(1)', 'a script URL'],
    ['file:///etc/passwd', 'a local file'],
  ])('A3: iss %s (%s) is refused before any request', async (template) => {
    const iss = template.replace('{port}', new URL(outside.origin).port);
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      const since = await auditHead(system);
      const response = await new CookieAgent().request(launchUrl(iss, 'abc'));
      expect(response.status).toBe(400);
      expect(await launchRejectionsSince(system, since)).toEqual(['iss_not_allowed']);
      await settle();
      // The only request made in this process was the test's own, to the app: the server sent nothing anywhere.
      const targets = fetchSpy.mock.calls.map(([input]) => (input instanceof Request ? input.url : String(input)));
      expect(targets.filter((target) => !target.startsWith(system.appUrl))).toEqual([]);
      expect(outside.connections).toBe(0);
    } finally {
      fetchSpy.mockRestore();
    }
  });

  test('A3: the counting above sees the server\'s own requests (an allowed iss is fetched through the same fetch)', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      expectAuthorizeRedirect(ehrs.control, await startLaunch(ehrs.control));
      const targets = fetchSpy.mock.calls.map(([input]) => (input instanceof Request ? input.url : String(input)));
      expect(targets).toContain(`${ehrs.control.iss}/.well-known/smart-configuration`);
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe('A4: missing or empty launch parameters', () => {
  test.each([
    ['iss', 'launch=abc', /missing the EHR address/],
    ['launch', `iss=${encodeURIComponent('http://x')}`, /missing the launch context/],
    ['iss (empty)', 'iss=&launch=abc', /missing the EHR address/],
    ['launch (empty)', 'iss={iss}&launch=', /missing the launch context/],
    ['both', '', /missing the EHR address/],
  ])('A4: missing %s explains what is missing and where to launch from, and contacts no EHR', async (_missing, query, message) => {
    const before = sandboxRequestCount(system);
    const response = await new CookieAgent().request(`${system.appUrl}/launch?${query.replace('{iss}', encodeURIComponent(sandboxIss()))}`);
    expect(response.status).toBe(400);
    const text = await pageText(response);
    expect(text).toMatch(/must be opened from a patient's chart/);
    expect(text).toMatch(message);
    expect(text).toMatch(/launch ITDD Consent from there/);
    await settle();
    expect(sandboxRequestCount(system)).toBe(before);
  });
});

describe('A5: duplicated parameters', () => {
  test('A5: a duplicated iss is refused (parameter pollution)', async () => {
    const iss = encodeURIComponent(sandboxIss());
    const response = await new CookieAgent().request(`${system.appUrl}/launch?iss=${iss}&iss=${iss}&launch=abc`);
    expect(response.status).toBe(400);
  });

  test('A5: iss=a&iss=b and launch=a&launch=b are refused, and neither iss is contacted', async () => {
    const allowed = encodeURIComponent(sandboxIss());
    const foreign = encodeURIComponent(`${outside.origin}/fhir`);
    for (const query of [`iss=${allowed}&iss=${foreign}&launch=abc`, `iss=${foreign}&iss=${allowed}&launch=abc`, `iss=${allowed}&launch=a&launch=b`]) {
      const before = sandboxRequestCount(system);
      const response = await new CookieAgent().request(`${system.appUrl}/launch?${query}`);
      expect(response.status).toBe(400);
      expect(await pageText(response)).toMatch(/named "(iss|launch)" more than once/);
      await settle();
      expect(sandboxRequestCount(system)).toBe(before);
    }
    expect(outside.connections).toBe(0);
  });
});

describe('A6: a failing, slow, huge or malformed discovery', () => {
  test('A6: a discovery that answers 500 is a clear page, and the next launch works once the EHR is healthy', async () => {
    const ehr = ehrs.failing;
    ehr.discovery = { kind: 'status', status: 500 };
    const failed = await startLaunch(ehr);
    expect(failed.status).toBe(502);
    expect(await pageText(failed)).toMatch(/could not read the EHR's sign-in settings/);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });

  test('A6: a discovery slower than the deadline is a "did not answer in time" page, and the next launch works', async () => {
    const ehr = ehrs.slow;
    ehr.discovery = { kind: 'slow', delayMs: 8000 };
    const slow = await startLaunch(ehr);
    expect(slow.status).toBe(504);
    expect(await pageText(slow)).toMatch(/The EHR did not answer in time/);
    // The deadline aborted the request: the app hung up before the late answer came.
    await settle();
    expect(ehr.abandonedSlowAnswers).toBe(1);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });

  test('A6: a 50 MB discovery answer is refused with a clear page, without reading it whole', async () => {
    const ehr = ehrs.huge;
    ehr.discovery = { kind: 'huge', bytes: 50 * 1024 * 1024 };
    const huge = await startLaunch(ehr);
    expect(huge.status).toBe(502);
    expect(await pageText(huge)).toMatch(/sent too much data for the EHR's sign-in settings/);
    await settle();
    expect(ehr.hugeBodyCompleted).toBe(false);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });

  test.each([
    ['404', { kind: 'status', status: 404 }, /answered 404/],
    ['an HTML page with 200', { kind: 'raw', status: 200, contentType: 'text/html', body: '<html><body>Sign in to continue</body></html>' }, /was not JSON/],
    ['invalid JSON', { kind: 'raw', status: 200, contentType: 'application/json', body: '{"authorization_endpoint": "https://x",' }, /was not JSON/],
    ['a JSON array', { kind: 'raw', status: 200, contentType: 'application/json', body: '[]' }, /was not a JSON object/],
    ['no endpoints', { kind: 'document', fields: { authorization_endpoint: undefined, token_endpoint: undefined } }, /incomplete/],
  ] as const)('A6: a discovery answering %s fails closed with a clear page', async (_what, behaviour, message) => {
    const ehr = ehrs.malformed;
    ehr.discovery = behaviour;
    const since = await auditHead(system);
    const pendingBefore = await pendingAuthorizations(system);
    const text = await expectFailedClosed(await startLaunch(ehr), 502, behaviour.kind === 'document' ? 'discovery_invalid' : 'discovery_failed', since, pendingBefore);
    expect(text).toMatch(/sign-in settings/);
    expect(text).toMatch(message);
    expect(text).not.toMatch(/Sign in to continue/);
  });

  test('A6: none of those answers was remembered: the next launch asks again and works once the EHR is healthy', async () => {
    const ehr = ehrs.malformed;
    const asked = ehr.count(FAKE_EHR_PATHS.smart);
    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
    expect(ehr.count(FAKE_EHR_PATHS.smart)).toBe(asked + 1);
  });
});

describe('A7: an EHR that does not require PKCE S256', () => {
  test.each([
    ['pkce-absent', undefined],
    ['pkce-plain-only', ['plain']],
    ['pkce-plain-too', ['S256', 'plain']],
  ] as const)('A7: %s (code_challenge_methods_supported %j) is refused before the browser is sent to sign in', async (name, methods) => {
    const ehr = ehrs[name];
    ehr.discovery = { kind: 'document', fields: { code_challenge_methods_supported: methods } };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const since = await auditHead(system);
      const pendingBefore = await pendingAuthorizations(system);
      const text = await expectFailedClosed(await startLaunch(ehr), 502, 'pkce_unsupported', since, pendingBefore);
      expect(text).toMatch(/do not require the PKCE protection \(S256\)/);
    }
    expect(ehr.count(FAKE_EHR_PATHS.authorize)).toBe(0);
  });

  test('A7: an EHR listing S256 alone launches (the control)', async () => {
    expect(ehrs.control.discovery).toEqual({ kind: 'ok' });
    const authorize = new URL((await startLaunch(ehrs.control)).headers.get('location') ?? '');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  });
});

describe('A8: discovered endpoints off the pinned tenant', () => {
  test('A8: discovery endpoints off the tenant\'s auth origins are refused (mix-up defence)', () => {
    const endpoints = { authorizationEndpoint: 'https://ehr.example/auth/authorize?aud-hint=1', tokenEndpoint: 'https://ehr.example/auth/token' };
    const tenant = { ...sandboxGeneric(), authOrigins: ['https://ehr.example'] };
    const good = { authorization_endpoint: endpoints.authorizationEndpoint, token_endpoint: endpoints.tokenEndpoint };
    expect(parseSmartConfiguration(good, tenant).tokenEndpoint).toBe(endpoints.tokenEndpoint);
    expect(() => parseSmartConfiguration({ ...good, token_endpoint: 'https://evil.example/token' }, tenant)).toThrow(/point somewhere unexpected/);
    expect(() => parseSmartConfiguration({ ...good, authorization_endpoint: 'https://evil.example/auth' }, tenant)).toThrow(/point somewhere unexpected/);
    expect(() => parseSmartConfiguration({ token_endpoint: endpoints.tokenEndpoint }, tenant)).toThrow(/incomplete/);
  });

  test('A8: a token or authorize endpoint on another host (even the same machine, another port) stops the launch; nothing reaches it', async () => {
    const ehr = ehrs['mixed-up'];
    for (const fields of [{ token_endpoint: `${outside.origin}/auth/token` }, { authorization_endpoint: `${outside.origin}/auth/authorize` }]) {
      ehr.discovery = { kind: 'document', fields };
      const since = await auditHead(system);
      const pendingBefore = await pendingAuthorizations(system);
      const text = await expectFailedClosed(await startLaunch(ehr), 502, 'endpoint_not_pinned', since, pendingBefore);
      expect(text).toMatch(/point somewhere unexpected/);
    }
    await settle();
    expect(outside.requests).toHaveLength(0);
    expect(outside.connections).toBe(0);
    expect(system.logLines.some((line) => line.includes('launch.endpoint_not_pinned'))).toBe(true);
  });
});

describe('A9: a redirecting discovery', () => {
  test('A9: a 302 from discovery to another host is not followed; the launch fails clearly', async () => {
    const ehr = ehrs.redirecting;
    ehr.discovery = { kind: 'redirect', location: `${outside.origin}/fhir/.well-known/smart-configuration` };
    const since = await auditHead(system);
    const pendingBefore = await pendingAuthorizations(system);
    const text = await expectFailedClosed(await startLaunch(ehr), 502, 'discovery_failed', since, pendingBefore);
    expect(text).toMatch(/answered with a redirect for the EHR's sign-in settings; redirects are not followed/);
    expect(ehr.count(FAKE_EHR_PATHS.smart)).toBe(1);
    await settle();
    expect(outside.requests).toHaveLength(0);
    expect(outside.connections).toBe(0);
  });
});

describe('A10: one launch URL twice, two charts, two patients', () => {
  const idOf = (url: string): string => url.split('/app/')[1] ?? '';

  test('A10: two launches in one browser, interleaved, each keep their own patient', async () => {
    const agent = new CookieAgent();
    const callbackA = await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent);
    const callbackB = await launchUntilCallback(system, { patient: 'spanish-speaker-patient' }, agent);
    const b = await agent.follow(callbackB);
    const a = await agent.follow(callbackA);
    const contextA = await contextOf(system, { agent, launchId: idOf(a.url), finalResponse: a.response, finalUrl: a.url });
    const contextB = await contextOf(system, { agent, launchId: idOf(b.url), finalResponse: b.response, finalUrl: b.url });
    expect(contextA.context.patient.id).toBe('anticoagulant-patient');
    expect(contextB.context.patient.id).toBe('spanish-speaker-patient');
  });

  test('A10: another browser cannot open a launch by its id', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const other = new CookieAgent();
    await other.request(`${system.appUrl}/`);
    const response = await other.request(`${system.appUrl}/api/launches/${launch.launchId}/context`);
    expect(response.status).toBe(401);
  });

  test('A10: the same launch URL opened again is a sign-in of its own: it never joins or disturbs the first session', async () => {
    const agent = new CookieAgent();
    const url = await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient' });
    const first = await agent.follow(url);
    const firstId = idOf(first.url);
    expect(firstId).toMatch(/^[A-Za-z0-9_-]{16,}$/);

    // The second opening starts its own authorization (a new state), whatever the EHR then makes of its launch token.
    const again = await agent.request(url);
    expect(again.status).toBe(303);
    const firstState = new URL(agent.hops[0]?.location ?? '').searchParams.get('state');
    const secondState = new URL(again.headers.get('location') ?? '').searchParams.get('state');
    expect(secondState).not.toBe(firstState);
    // The sandbox, like Epic, honours a launch token once: the second sign-in is refused, on a page of its own.
    const second = await agent.follow(again.headers.get('location') ?? '');
    expect(second.url).not.toContain(firstId);
    expect(second.response.status).toBe(403);
    expect(await pageText(second.response)).toMatch(/did not authorize the app/);

    const still = await contextOf(system, { agent, launchId: firstId, finalResponse: first.response, finalUrl: first.url });
    expect(still.context.patient.id).toBe('anticoagulant-patient');
  });

  test('A10: two launches of one chart in one browser are two sessions: ending one leaves the other', async () => {
    const agent = new CookieAgent();
    const first = await launchAs(system, { patient: 'anticoagulant-patient' }, agent);
    const second = await launchAs(system, { patient: 'anticoagulant-patient' }, agent);
    expect(second.launchId).not.toBe(first.launchId);
    const shell = await (await agent.request(`${system.appUrl}/app/${first.launchId}`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1] ?? '';
    const ended = await agent.request(`${system.appUrl}/api/launches/${first.launchId}/end`, { method: 'POST', headers: { origin: system.appUrl, 'x-csrf-token': csrf } });
    expect(ended.status).toBe(204);
    expect((await agent.request(`${system.appUrl}/api/launches/${first.launchId}/context`)).status).toBe(401);
    expect((await contextOf(system, second)).context.patient.id).toBe('anticoagulant-patient');
  });

  test('A10: two browsers on two charts each see only their own patient, and never the other\'s launch', async () => {
    const [one, two] = [new CookieAgent(), new CookieAgent()];
    const launchOne = await launchAs(system, { patient: 'anticoagulant-patient' }, one);
    const launchTwo = await launchAs(system, { patient: 'diabetes-hba1c-patient' }, two);
    expect((await contextOf(system, launchOne)).context.patient.id).toBe('anticoagulant-patient');
    expect((await contextOf(system, launchTwo)).context.patient.id).toBe('diabetes-hba1c-patient');
    for (const [agent, foreignId] of [[one, launchTwo.launchId], [two, launchOne.launchId]] as const) {
      expect((await agent.request(`${system.appUrl}/api/launches/${foreignId}/context`)).status).toBe(401);
      expect((await agent.request(`${system.appUrl}/app/${foreignId}`)).status).toBe(401);
    }
  });
});
