import { CookieAgent } from '../support/cookie-agent';
import { contextOf, launchAs, simulatorLaunchUrl } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The SMART launch against the sandbox EHR, over real HTTP: the happy path and what is left of the refusals after the
 * callback (an id_token with a bad signature). The reviewer's launch, callback, token and id_token cases (§6 A–D) are
 * in tests/adversarial, by id. Every refusal must be a clear page that leaks nothing.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

async function pageText(response: Response): Promise<string> {
  return (await response.text()).replace(/<[^>]+>/g, ' ');
}

describe('EHR launch', () => {
  test('the sandbox EHR is configured as one ordinary tenant per vendor, each iss a base the sandbox serves', () => {
    const sandboxTenants = system.config.tenants.map((t) => [t.vendor, { id: t.id, iss: t.iss }]);
    const served = Object.entries(system.sandbox?.sandbox.fhirBaseUrls ?? {}).map(([vendor, iss]) => [vendor, { id: `sandbox-${vendor}`, iss }]);
    expect(Object.fromEntries(sandboxTenants)).toEqual(Object.fromEntries(served));
    expect(served).toHaveLength(3);
  });

  test('the running sandbox logs the EHR requests a launch costs, paths without their query', async () => {
    const since = performance.now();
    await launchAs(system, { patient: 'anticoagulant-patient' });
    const requests = system.sandbox!.requests().filter((r) => r.start >= since);
    expect(requests).toEqual(expect.arrayContaining([
      { method: 'POST', path: '/simulator/launch', start: expect.any(Number), end: expect.any(Number) },
      { method: 'GET', path: '/auth/authorize', start: expect.any(Number), end: expect.any(Number) },
      { method: 'POST', path: '/auth/token', start: expect.any(Number), end: expect.any(Number) },
    ]));
    expect(requests.every((r) => !r.path.includes('?') && r.end >= r.start)).toBe(true);
    expect(system.sandbox!.requestCount()).toBeGreaterThanOrEqual(requests.length);
  });

  // A launch once loaded launch.html and its script, which then forwarded to /launch: a page load and a script run
  // between the chart and the EHR's sign-in, inside the EHR's frame, at every launch (about 0.2–0.3 s in the bench).
  test('the registered launch URL starts the sign-in with one redirect; opened bare it is the launch page', async () => {
    const registered = await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient' });
    expect(new URL(registered).pathname).toBe('/launch.html');
    const first = await new CookieAgent().request(registered);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toMatch(new RegExp(`^${system.sandboxUrl ?? ''}/auth/authorize\\?`));
    expect(first.headers.get('set-cookie')).toMatch(/__Host-itdd_sid=/);
    const bare = await fetch(`${system.appUrl}/launch.html`);
    expect(bare.status).toBe(200);
    expect(await bare.text()).toContain('<script src="/assets/launch.js"></script>');
    // Only one of the two is refused as /launch refuses it, never served as the page.
    const half = await fetch(`${system.appUrl}/launch.html?launch=abc`);
    expect(half.status).toBe(400);
    expect(await pageText(half)).toMatch(/opened from a patient&#39;s chart[\s\S]*iss_missing/);
  });

  test('lands on /app/<launch> and the context is the launched patient and encounter', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    expect(launch.finalResponse.status).toBe(200);
    const body = await contextOf(system, launch);
    expect(body.context.patient.id).toBe('anticoagulant-patient');
    expect(body.context.patient.name).toBe('Margaret Ann Ellison');
    expect(body.context.encounter.id).toBe('anticoagulant-encounter');
    expect(body.user.fhirUser).toMatch(/Practitioner\/itdd-dr-rivera$/);
    expect(body.showPatientBanner).toBe(true);
  });

  test('uses PKCE S256 and a state of at least 122 bits from the CSPRNG, bound to the launch', async () => {
    const agent = new CookieAgent();
    const first = await agent.request(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient' }));
    const authorize = new URL(first.headers.get('location') ?? '');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = authorize.searchParams.get('state') ?? '';
    expect(Buffer.from(state, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(authorize.searchParams.get('aud')).toBe(`${system.sandboxUrl}/r4`);
  });

  test('need_patient_banner false — boolean or the string "false" — hides the banner', async () => {
    for (const banner of ['false', 'string-false']) {
      const launch = await launchAs(system, { patient: 'antiplatelet-patient', banner });
      expect((await contextOf(system, launch)).showPatientBanner).toBe(false);
    }
  });

});

describe('refusals after the callback', () => {
  test('id_token_bad_signature stops the sign-in (401), no session created', async () => {
    const agent = new CookieAgent();
    const { response, url } = await agent.follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'id_token_bad_signature' }));
    expect(response.status).toBe(401);
    expect(url).toMatch(/\/callback\?/);
    expect(await pageText(response)).toMatch(/identity token could not be verified/);
  });
});
