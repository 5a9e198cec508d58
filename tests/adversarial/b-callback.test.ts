import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { FAKE_EHR_PATHS, startFakeEhr } from '../support/fake-ehr';
import { contextOf, launchAs, launchUntilCallback, simulatorLaunchUrl } from '../support/launch-helpers';
import { auditHead, launchRejectionsSince, pageText, readable, sandboxTokenRequests } from '../support/launch-probes';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The hospital security reviewer's catalogue, group B (the authorization response at the redirect URL,
 * security-reliability §6 B1–B8), each case by its id. A callback the app did not ask for in this browser, or one it
 * cannot read unambiguously, is refused before its code is exchanged: the token requests the EHR receives are
 * counted. Runs on the sandbox EHR, plus one fake EHR whose authorization server has an issuer of its own (B6).
 */
let system: TestSystem;
let asEhr: FakeEhr;

beforeAll(async () => {
  asEhr = await startFakeEhr();
  // RFC 9207: this EHR's authorization server names itself (not its FHIR base) in every authorization response.
  asEhr.discovery = { kind: 'document', fields: { issuer: `${asEhr.origin}/auth`, authorization_response_iss_parameter_supported: true } };
  system = await startTestSystem({ SANDBOX: 'on', ITDD_ENV: 'sandbox', EHR_TENANTS: JSON.stringify([asEhr.tenant('as-issuer')]) });
});

afterAll(async () => {
  await system.close();
  await asEhr.close();
});

const RELAUNCH = /Launch the app again from the patient's chart/;

describe('B1: callback without state', () => {
  test('B1: a callback without state is refused', async () => {
    const response = await new CookieAgent().request(`${system.appUrl}/callback?code=abc`);
    expect(response.status).toBe(400);
    expect(await pageText(response)).toMatch(/carried no state/);
  });

  test('B1: a real code without its state (absent or empty) is refused unexchanged, audited, and the real sign-in still completes', async () => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
    const code = callback.searchParams.get('code') ?? '';
    const tokensBefore = sandboxTokenRequests(system);
    const since = await auditHead(system);
    for (const query of [`code=${code}`, `code=${code}&state=`]) {
      const response = await agent.request(`${system.appUrl}/callback?${query}`);
      expect(response.status).toBe(400);
      expect(await pageText(response)).toMatch(/carried no state, so it cannot be trusted/);
    }
    expect(sandboxTokenRequests(system)).toBe(tokensBefore);
    expect(await launchRejectionsSince(system, since)).toEqual(['state_missing', 'state_missing']);
    expect((await agent.follow(callback.href)).url).toMatch(/\/app\/[A-Za-z0-9_-]+$/);
  });
});

describe('B2: state of another browser session', () => {
  test('B2: a callback presented by another browser is refused and does not burn the real one', async () => {
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

  test('B2: a browser with no session at all, or a state nobody issued, gets no token exchange', async () => {
    const owner = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'antiplatelet-patient' }, owner));
    const tokensBefore = sandboxTokenRequests(system);
    const since = await auditHead(system);
    const cookieless = await fetch(callback.href, { redirect: 'manual' });
    expect(cookieless.status).toBe(401);
    const madeUp = await owner.request(`${system.appUrl}/callback?code=${callback.searchParams.get('code') ?? ''}&state=${'x'.repeat(43)}`);
    expect(madeUp.status).toBe(401);
    expect(sandboxTokenRequests(system)).toBe(tokensBefore);
    // The cookie-less browser is told its cookie was not kept (E1); the made-up state is an invalid one.
    expect(await launchRejectionsSince(system, since)).toEqual(['browser_cookie_missing', 'state_invalid']);
  });
});

describe('B3: replayed callback', () => {
  test('B3: a replayed callback is refused the second time', async () => {
    const agent = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'antiplatelet-patient' }, agent);
    expect((await agent.request(callback)).status).toBe(303);
    const replay = await agent.request(callback);
    expect(replay.status).toBe(401);
    expect(await pageText(replay)).toMatch(/already used/);
  });

  test('B3: the replay sends the code to the EHR no second time and leaves the first session working', async () => {
    const agent = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'antiplatelet-patient' }, agent);
    const tokensBefore = sandboxTokenRequests(system);
    const first = await agent.follow(callback);
    const launchId = first.url.split('/app/')[1] ?? '';
    expect(launchId).not.toBe('');
    for (let replay = 0; replay < 2; replay += 1) {
      expect((await agent.request(callback)).status).toBe(401);
    }
    expect(sandboxTokenRequests(system)).toBe(tokensBefore + 1);
    const context = await contextOf(system, { agent, launchId, finalResponse: first.response, finalUrl: first.url });
    expect(context.context.patient.id).toBe('antiplatelet-patient');
  });
});

describe('B4: an error answer with markup', () => {
  test('B4: access_denied from the EHR is a clear page with its description escaped', async () => {
    const { response } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'access_denied' }));
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(html).toMatch(/did not authorize the app/);
    expect(html).not.toMatch(/<script>/i);
  });

  test('B4: an EHR-forged error with markup in error_description is shown as text', async () => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
    const forged = `${system.appUrl}/callback?state=${callback.searchParams.get('state')}&error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}`;
    const response = await agent.request(forged);
    const html = await response.text();
    expect(response.status).toBe(403);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });

  test('B4: the error page says how to launch again, with or without the EHR\'s description, and the refusal is audited', async () => {
    for (const description of [undefined, '<img src=x onerror=alert(1)>']) {
      const agent = new CookieAgent();
      const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
      const since = await auditHead(system);
      const extra = description === undefined ? '' : `&error_description=${encodeURIComponent(description)}`;
      const response = await agent.request(`${system.appUrl}/callback?state=${callback.searchParams.get('state')}&error=access_denied${extra}`);
      expect(response.status).toBe(403);
      const html = await response.text();
      expect(html).not.toMatch(/<img/i);
      const text = readable(html);
      expect(text).toMatch(/did not authorize the app \(access_denied\)/);
      expect(text).toMatch(RELAUNCH);
      if (description !== undefined) {
        expect(text).toContain(`The EHR said: "${description}"`);
      }
      expect(await launchRejectionsSince(system, since)).toEqual(['ehr_denied']);
    }
  });
});

describe('B5: both code and error, or neither', () => {
  test.each([
    ['both a code and an error', (code: string) => `&code=${code}&error=access_denied`, 403, /did not authorize the app/, 'ehr_denied'],
    ['neither a code nor an error', () => '', 400, /carried no authorization code/, 'code_missing'],
  ])('B5: a callback with %s is refused and nothing is exchanged', async (_what, extra, status, message, reason) => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
    const tokensBefore = sandboxTokenRequests(system);
    const since = await auditHead(system);
    const response = await agent.request(`${system.appUrl}/callback?state=${callback.searchParams.get('state')}${extra(callback.searchParams.get('code') ?? '')}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBeNull();
    expect(await pageText(response)).toMatch(message);
    expect(sandboxTokenRequests(system)).toBe(tokensBefore);
    expect(await launchRejectionsSince(system, since)).toEqual([reason]);
  });
});

describe('B6: the response iss (RFC 9207)', () => {
  /** Begins a launch at the fake EHR and answers its callback with a code and `extra` query. */
  async function callbackWith(extra: string): Promise<Response> {
    const agent = new CookieAgent();
    const begun = await agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(asEhr.iss)}&launch=launch-123`);
    expect(begun.status).toBe(303);
    const state = new URL(begun.headers.get('location') ?? '').searchParams.get('state') ?? '';
    return agent.request(`${system.appUrl}/callback?code=code-${state.slice(0, 8)}&state=${state}${extra}`);
  }
  const tokenPosts = (): number => asEhr.requests.filter((r) => r.method === 'POST' && r.url === FAKE_EHR_PATHS.token).length;

  test.each([
    ['the FHIR base (the iss of the launch, not of the authorization server)', (): string => asEhr.iss, 'iss_mismatch'],
    ['another server', (): string => 'https://attacker.example/auth', 'iss_mismatch'],
    ['nothing, although the EHR promised it', undefined, 'iss_missing'],
  ])('B6: a callback whose iss is %s is refused before its code is exchanged', async (_what, issOf, reason) => {
    const posts = tokenPosts();
    const since = await auditHead(system);
    const response = await callbackWith(issOf === undefined ? '' : `&iss=${encodeURIComponent(issOf())}`);
    expect(response.status).toBe(502);
    expect(await pageText(response)).toMatch(/another server than the EHR|did not say which server sent it/);
    expect(tokenPosts()).toBe(posts);
    expect(await launchRejectionsSince(system, since)).toEqual([reason]);
  });

  test('B6: the authorization server\'s own iss completes, and the FHIR reads still go to the launch\'s base, never to that iss', async () => {
    const authIssuer = `${asEhr.origin}/auth`;
    const requestsBefore = asEhr.requests.length;
    const response = await callbackWith(`&iss=${encodeURIComponent(authIssuer)}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/app\/[A-Za-z0-9_-]+$/);
    const made = asEhr.requests.slice(requestsBefore).map((r) => `${r.method} ${r.url.split('?')[0] ?? ''}`);
    expect(made).toContain('POST /auth/token');
    expect(made.filter((r) => r.startsWith('GET /fhir/Patient'))).not.toHaveLength(0);
    expect(made.filter((r) => r.startsWith('GET /auth/'))).toEqual([]);
  });
});

describe('B7: the EHR never redirects back', () => {
  test('B7: the authorization waits a bounded time; a callback after it is refused unexchanged and the record is gone', async () => {
    const agent = new CookieAgent();
    const callback = new URL(await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent));
    const state = callback.searchParams.get('state') ?? '';
    const [row] = await system.db.query<{ lifetime_ms: string }>(
      `SELECT (extract(epoch FROM expires_at - created_at) * 1000)::bigint::text AS lifetime_ms FROM pending_authorizations WHERE state = $1`,
      [state],
    );
    const lifetimeMs = Number(row?.lifetime_ms);
    expect(lifetimeMs).toBeGreaterThan(0);
    expect(lifetimeMs).toBeLessThanOrEqual(10 * 60_000);

    // The clinician walked away from the EHR's page: the authorization's lifetime passes (its clock moved back).
    await system.db.query(
      `UPDATE pending_authorizations SET created_at = created_at - make_interval(secs => $2), expires_at = expires_at - make_interval(secs => $2) WHERE state = $1`,
      [state, lifetimeMs / 1000 + 1],
    );
    const tokensBefore = sandboxTokenRequests(system);
    const since = await auditHead(system);
    const late = await agent.request(callback.href);
    expect(late.status).toBe(401);
    const text = await pageText(late);
    expect(text).toMatch(/has expired/);
    expect(text).toMatch(/launch ITDD Consent again/);
    expect(sandboxTokenRequests(system)).toBe(tokensBefore);
    expect(await launchRejectionsSince(system, since)).toEqual(['state_invalid']);
    expect(await system.db.query('SELECT 1 FROM pending_authorizations WHERE state = $1', [state])).toHaveLength(0);
  });
});

describe('B8: no open redirector', () => {
  const EVIL = 'https://evil.example/steal';
  const REDIRECT_PARAMS = ['next', 'returnTo', 'return_to', 'redirect', 'redirect_uri', 'url', 'continue', 'goto'];
  const withEvil = (url: string): string => {
    const target = new URL(url);
    REDIRECT_PARAMS.forEach((name) => target.searchParams.set(name, EVIL));
    return target.href;
  };
  /** Where a response sends the browser, if anywhere: never off the app and its EHR. */
  function expectNoEvil(response: Response, what: string): void {
    for (const header of ['location', 'refresh', 'content-location']) {
      expect(`${what} ${header}: ${response.headers.get(header) ?? ''}`).not.toMatch(/evil\.example/);
    }
  }

  test('B8: ?next=…, ?returnTo=…, ?redirect_uri=… along a whole launch change nothing: the EHR is told the app\'s own callback, the app lands on its own page', async () => {
    const agent = new CookieAgent();
    const begun = await agent.request(withEvil(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient' })));
    expectNoEvil(begun, '/launch');
    const authorize = new URL(begun.headers.get('location') ?? '');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${system.appUrl}/callback`);
    const atEhr = await agent.request(authorize.href);
    const callback = atEhr.headers.get('location') ?? '';
    expect(callback.startsWith(`${system.appUrl}/callback?`)).toBe(true);
    const landed = await agent.request(withEvil(callback));
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toMatch(/^\/app\/[A-Za-z0-9_-]+$/);

    for (const start of ['/standalone?tenant=sandbox-generic', '/compliance/launch?tenant=sandbox-generic']) {
      const response = await new CookieAgent().request(withEvil(`${system.appUrl}${start}`));
      expect(response.status).toBe(303);
      expectNoEvil(response, start);
      expect(new URL(response.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe(`${system.appUrl}/callback`);
    }
  });

  test('B8: no route of the app, called with redirect parameters, sends the browser off the app', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const routes = system.routes();
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const path = route.path.replace(/:launchId/g, launch.launchId).replace(/:[A-Za-z]+/g, 'x');
      const response = await launch.agent.request(withEvil(`${system.appUrl}${path}`), { method: route.method });
      await response.arrayBuffer();
      expectNoEvil(response, `${route.method} ${route.path}`);
    }
    expect((await contextOf(system, launch)).context.patient.id).toBe('anticoagulant-patient');
  });
});
