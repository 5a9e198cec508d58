import { CookieAgent } from '../support/cookie-agent';
import { contextOf, launchAs, launchUntilCallback, simulatorLaunchUrl } from '../support/launch-helpers';
import { startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The SMART launch against the sandbox EHR, over real HTTP: the happy path and the reviewer's bad-input list
 * (security-reliability §6 A1–A5, B1–B5, C2, D1–D2). Every refusal must be a clear page that leaks nothing.
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

describe('launch refusals', () => {
  test('an iss not on the allow-list gets a clear 400 page and the app never contacts it', async () => {
    const foreign = await startRecordingServer();
    try {
      const agent = new CookieAgent();
      const response = await agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(`${foreign.origin}/fhir`)}&launch=abc`);
      expect(response.status).toBe(400);
      expect(await pageText(response)).toMatch(/not one the app is set up to work with/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(foreign.requests).toHaveLength(0);
    } finally {
      await foreign.close();
    }
  });

  test.each([
    ['http://169.254.169.254/latest/meta-data', 'metadata address'],
    [`${'http://localhost:1'}/fhir`, 'another local port'],
    ['javascript:alert(1)', 'script URL'],
  ])('iss %s (%s) is refused before any request', async (iss) => {
    const response = await new CookieAgent().request(`${system.appUrl}/launch?iss=${encodeURIComponent(iss)}&launch=abc`);
    expect(response.status).toBe(400);
  });

  test.each([
    ['iss', 'launch=abc', /missing the EHR address/],
    ['launch', `iss=${encodeURIComponent('http://x')}`, /missing the launch context/],
  ])('missing %s explains what is missing', async (_missing, query, message) => {
    const response = await new CookieAgent().request(`${system.appUrl}/launch?${query}`);
    expect(response.status).toBe(400);
    expect(await pageText(response)).toMatch(message);
  });

  test('a duplicated iss is refused (parameter pollution)', async () => {
    const iss = encodeURIComponent(`${system.sandboxUrl}/r4`);
    const response = await new CookieAgent().request(`${system.appUrl}/launch?iss=${iss}&iss=${iss}&launch=abc`);
    expect(response.status).toBe(400);
  });

  test('a callback without state is refused', async () => {
    const response = await new CookieAgent().request(`${system.appUrl}/callback?code=abc`);
    expect(response.status).toBe(400);
    expect(await pageText(response)).toMatch(/carried no state/);
  });

  test('a callback presented by another browser is refused and does not burn the real one', async () => {
    const owner = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'antiplatelet-patient' }, owner);
    const attacker = new CookieAgent();
    await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, attacker); // a browser session of its own
    const stolen = await attacker.request(callback);
    expect(stolen.status).toBe(401);
    expect(await pageText(stolen)).toMatch(/not valid here/);
    const genuine = await owner.follow(callback);
    expect(genuine.url).toMatch(/\/app\//);
  });

  test('a replayed callback is refused the second time', async () => {
    const agent = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'antiplatelet-patient' }, agent);
    expect((await agent.request(callback)).status).toBe(303);
    const replay = await agent.request(callback);
    expect(replay.status).toBe(401);
    expect(await pageText(replay)).toMatch(/already used/);
  });

  test('access_denied from the EHR is a clear page with its description escaped', async () => {
    const { response } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'access_denied' }));
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(html).toMatch(/did not authorize the app/);
    expect(html).not.toMatch(/<script>/i);
  });

  test('an EHR-forged error with markup in error_description is shown as text', async () => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
    const forged = `${system.appUrl}/callback?state=${callback.searchParams.get('state')}&error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}`;
    const response = await agent.request(forged);
    const html = await response.text();
    expect(response.status).toBe(403);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });

  test('a failing token endpoint is a 502 page asking to relaunch later', async () => {
    const { response } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'token_failure' }));
    expect(response.status).toBe(502);
    expect(await pageText(response)).toMatch(/token service failed/);
  });

  test.each(['id_token_bad_signature', 'id_token_wrong_audience'])('%s stops the sign-in (401), no session created', async (error) => {
    const agent = new CookieAgent();
    const { response, url } = await agent.follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error }));
    expect(response.status).toBe(401);
    expect(url).toMatch(/\/callback\?/);
    expect(await pageText(response)).toMatch(/identity token could not be verified/);
  });
});

describe('per-launch isolation', () => {
  test('two launches in one browser, interleaved, each keep their own patient', async () => {
    const agent = new CookieAgent();
    const callbackA = await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent);
    const callbackB = await launchUntilCallback(system, { patient: 'spanish-speaker-patient' }, agent);
    const b = await agent.follow(callbackB);
    const a = await agent.follow(callbackA);
    const idOf = (url: string): string => url.split('/app/')[1] ?? '';
    const contextA = await contextOf(system, { agent, launchId: idOf(a.url), finalResponse: a.response, finalUrl: a.url });
    const contextB = await contextOf(system, { agent, launchId: idOf(b.url), finalResponse: b.response, finalUrl: b.url });
    expect(contextA.context.patient.id).toBe('anticoagulant-patient');
    expect(contextB.context.patient.id).toBe('spanish-speaker-patient');
  });

  test('another browser cannot open a launch by its id', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const other = new CookieAgent();
    await other.request(`${system.appUrl}/`);
    const response = await other.request(`${system.appUrl}/api/launches/${launch.launchId}/context`);
    expect(response.status).toBe(401);
  });
});
