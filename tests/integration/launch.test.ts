import { CookieAgent } from '../support/cookie-agent';
import { contextOf, launchAs, simulatorLaunchUrl } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The SMART launch against the sandbox EHR, over real HTTP: the happy path and the refusals after the callback
 * (security-reliability §6 C2, D1–D2). Every refusal must be a clear page that leaks nothing. The reviewer's launch
 * and callback cases (A, B) are in tests/adversarial, by id.
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

  test('a read refused for scope is "not authorized", a failing one "could not read" — never empty', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient', deny: ['AllergyIntolerance'], fail: ['Procedure'] });
    const body = await contextOf(system, launch);
    expect(body.context.reads.allergies.state).toBe('not-authorized');
    expect(body.context.reads.procedures.state).toBe('failed');
    const notes = body.readNotes.map((n: { text: string }) => n.text).join(' | ');
    expect(notes).toMatch(/not authorized to read allergies/i);
    expect(notes).toMatch(/could not read procedures/i);
    expect(body.context.reads.conditions.state).toBe('ok');
  });
});

describe('refusals after the callback', () => {
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

describe('ending a session', () => {
  test('ending a session needs the CSRF token and the app origin', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const url = `${system.appUrl}/api/launches/${launch.launchId}/end`;
    expect((await launch.agent.request(url, { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const shell = await (await launch.agent.request(`${system.appUrl}/app/${launch.launchId}`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1] ?? '';
    expect((await launch.agent.request(url, { method: 'POST', headers: { origin: system.appUrl, 'x-csrf-token': csrf } })).status).toBe(204);
    expect((await launch.agent.request(`${system.appUrl}/api/launches/${launch.launchId}/context`)).status).toBe(401);
  });
});
