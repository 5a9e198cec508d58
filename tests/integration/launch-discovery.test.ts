import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { FAKE_EHR_PATHS, startFakeEhr } from '../support/fake-ehr';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * What the launch does when the EHR's auth server misbehaves (issue 8): a failed, slow or endless discovery must
 * give the clinician a clear page and must not stop the next launch; the code exchange must not follow a redirect;
 * discovery documents and signing keys are cached, and an unknown kid cannot make the app hammer the EHR.
 * Each scenario has its own fake EHR (its own tenant), so the caches of one never serve another.
 */
let system: TestSystem;
let target: RecordingServer;
const ehrs: Record<'failing' | 'slow' | 'huge' | 'redirecting' | 'steady' | 'busy' | 'rotating', FakeEhr> = {} as never;
const previousNodeEnv = process.env.NODE_ENV;

beforeAll(async () => {
  // As in production: fhirclient skips its discovery cache when NODE_ENV is "test", which hid its poisoned cache
  // (a rejected discovery kept for the life of the process) from every test.
  process.env.NODE_ENV = 'production';
  target = await startRecordingServer();
  for (const name of ['failing', 'slow', 'huge', 'redirecting', 'steady', 'busy', 'rotating'] as const) {
    ehrs[name] = await startFakeEhr();
  }
  system = await startTestSystem({
    SANDBOX: 'off',
    EHR_TENANTS: JSON.stringify(Object.entries(ehrs).map(([name, ehr]) => ehr.tenant(name))),
  });
});

afterAll(async () => {
  process.env.NODE_ENV = previousNodeEnv;
  await system.close();
  await Promise.all([target.close(), ...Object.values(ehrs).map((ehr) => ehr.close())]);
});

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** The page as a clinician reads it: tags dropped, entities decoded. */
async function pageText(response: Response): Promise<string> {
  return (await response.text()).replace(/<[^>]+>/g, ' ').replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** The EHR opens the app: GET /launch?iss&launch (the same handler answers the registered launch.html). */
async function startLaunch(ehr: FakeEhr, agent = new CookieAgent()): Promise<Response> {
  return agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(ehr.iss)}&launch=launch-123`);
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

/** A whole launch: begin, then the EHR's redirect back with a code. Returns the callback's response. */
async function launchThroughCallback(ehr: FakeEhr): Promise<Response> {
  const agent = new CookieAgent();
  const state = expectAuthorizeRedirect(ehr, await startLaunch(ehr, agent));
  return agent.request(`${system.appUrl}/callback?code=code-${state.slice(0, 8)}&state=${state}`);
}

describe('the registered launch URL', () => {
  test('launch.html sends the browser on to the EHR\'s authorize endpoint itself, carrying only iss and launch', async () => {
    const ehr = ehrs.steady;
    const agent = new CookieAgent();
    const response = await agent.request(`${system.appUrl}/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=launch-123&extra=dropped`);
    const state = expectAuthorizeRedirect(ehr, response);
    const authorize = new URL(response.headers.get('location') ?? '');
    expect(authorize.searchParams.get('launch')).toBe('launch-123');
    expect(authorize.searchParams.has('extra')).toBe(false);
    // The same browser completes it: the state belongs to the cookie launch.html set.
    const completed = await agent.request(`${system.appUrl}/callback?code=code-${state.slice(0, 8)}&state=${state}`);
    expect(completed.headers.get('location')).toMatch(/^\/app\/[A-Za-z0-9_-]+$/);
  });
});

describe('discovery failures do not outlive themselves', () => {
  test('a discovery that answers 500 is a clear page, and the next launch works once the EHR is healthy', async () => {
    const ehr = ehrs.failing;
    ehr.discovery = { kind: 'status', status: 500 };
    const failed = await startLaunch(ehr);
    expect(failed.status).toBe(502);
    expect(await pageText(failed)).toMatch(/could not read the EHR's sign-in settings/);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });

  test('a discovery slower than the deadline is a "did not answer in time" page, and the next launch works', async () => {
    const ehr = ehrs.slow;
    ehr.discovery = { kind: 'slow', delayMs: 8000 };
    const slow = await startLaunch(ehr);
    expect(slow.status).toBe(504);
    expect(await pageText(slow)).toMatch(/The EHR did not answer in time/);
    // The deadline aborted the request: the app hung up before the late answer came.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ehr.abandonedSlowAnswers).toBe(1);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });

  test('a 50 MB discovery answer is refused with a clear page, without reading it whole', async () => {
    const ehr = ehrs.huge;
    ehr.discovery = { kind: 'huge', bytes: 50 * 1024 * 1024 };
    const huge = await startLaunch(ehr);
    expect(huge.status).toBe(502);
    expect(await pageText(huge)).toMatch(/sent too much data for the EHR's sign-in settings/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ehr.hugeBodyCompleted).toBe(false);

    ehr.discovery = { kind: 'ok' };
    expectAuthorizeRedirect(ehr, await startLaunch(ehr));
  });
});

describe('the code exchange', () => {
  test('a 307 from the token endpoint sends nothing to the redirect target and fails the launch clearly', async () => {
    const ehr = ehrs.redirecting;
    ehr.token = { kind: 'redirect', location: `${target.origin}/collect-codes` };
    const response = await launchThroughCallback(ehr);
    expect(response.status).toBe(502);
    expect(await pageText(response)).toMatch(/token service failed/);
    expect(ehr.requests.filter((r) => r.method === 'POST' && r.url === FAKE_EHR_PATHS.token)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });
});

describe('discovery and signing keys are cached', () => {
  test('two launches fetch the SMART configuration, the OpenID configuration and the JWKS once', async () => {
    const ehr = ehrs.steady;
    for (let i = 0; i < 2; i += 1) {
      const response = await launchThroughCallback(ehr);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toMatch(/^\/app\/[A-Za-z0-9_-]+$/);
    }
    expect(ehr.count(FAKE_EHR_PATHS.smart)).toBe(1);
    expect(ehr.count(FAKE_EHR_PATHS.openid)).toBe(1);
    expect(ehr.count(FAKE_EHR_PATHS.jwks)).toBe(1);
  });

  test('launches arriving together share one discovery request', async () => {
    const ehr = ehrs.busy;
    ehr.discovery = { kind: 'slow', delayMs: 300 };
    const responses = await Promise.all([0, 1, 2].map(() => startLaunch(ehr)));
    responses.forEach((response) => expectAuthorizeRedirect(ehr, response));
    expect(ehr.count(FAKE_EHR_PATHS.smart)).toBe(1);
  });

  test('an unknown kid refetches the JWKS exactly once, and not again for the next launch soon after', async () => {
    const ehr = ehrs.rotating;
    expect((await launchThroughCallback(ehr)).status).toBe(303);
    expect(ehr.count(FAKE_EHR_PATHS.jwks)).toBe(1);

    ehr.signingKid = 'unpublished-1';
    const first = await launchThroughCallback(ehr);
    expect(first.status).toBe(401);
    expect(await pageText(first)).toMatch(/identity token could not be verified/);
    expect(ehr.count(FAKE_EHR_PATHS.jwks)).toBe(2);

    ehr.signingKid = 'unpublished-2';
    const second = await launchThroughCallback(ehr);
    expect(second.status).toBe(401);
    expect(ehr.count(FAKE_EHR_PATHS.jwks)).toBe(2);
  });
});
