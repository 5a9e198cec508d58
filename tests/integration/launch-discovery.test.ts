import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { FAKE_EHR_PATHS, startFakeEhr } from '../support/fake-ehr';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * What the launch does when the EHR's auth server misbehaves (issue 8): the code exchange must not follow a redirect;
 * discovery documents and signing keys are cached, and an unknown kid cannot make the app hammer the EHR. (A failed,
 * slow or endless discovery is the reviewer's case A6, in tests/adversarial/a-launch-discovery.test.ts.)
 * Each scenario has its own fake EHR (its own tenant), so the caches of one never serve another.
 */
let system: TestSystem;
let target: RecordingServer;
const ehrs: Record<'redirecting' | 'steady' | 'busy' | 'rotating', FakeEhr> = {} as never;
const previousNodeEnv = process.env.NODE_ENV;

beforeAll(async () => {
  // As in production: fhirclient skips its discovery cache when NODE_ENV is "test", which hid its poisoned cache
  // (a rejected discovery kept for the life of the process) from every test.
  process.env.NODE_ENV = 'production';
  target = await startRecordingServer();
  for (const name of ['redirecting', 'steady', 'busy', 'rotating'] as const) {
    ehrs[name] = await startFakeEhr();
  }
  system = await startTestSystem({
    SANDBOX: 'off',
    // Real tenants on loopback http: the sandbox rules, chosen explicitly (production would refuse http).
    ITDD_ENV: 'sandbox',
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

/** The EHR opens the app: GET /launch?iss&launch (the same route as the registered launch.html?iss&launch). */
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
