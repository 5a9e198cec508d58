import {
  APP_LAUNCH,
  authorize,
  locationOf,
  pkcePair,
  postToken,
  PUBLIC_CLIENT_ID,
  PUBLIC_REDIRECT,
  startSandbox,
} from '../helpers/sandbox-harness';
import type { Harness } from '../helpers/sandbox-harness';

let h: Harness;

beforeAll(async () => {
  h = await startSandbox();
});
afterAll(async () => {
  await h.close();
});

function postForm(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    ([] as string[]).concat(value).forEach((v) => body.append(key, v));
  }
  return fetch(`${h.baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

describe('simulator page', () => {
  it('renders the chart chooser with every control, escaped data and strict security headers', async () => {
    const res = await fetch(`${h.baseUrl}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/frame-src [^;]*http:\/\/localhost:4000/);
    expect(csp).toContain("frame-ancestors 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    for (const name of ['user', 'patient', 'encounter', 'vendor', 'banner', 'error']) {
      expect(html).toContain(`<select name="${name}">`);
    }
    expect(html).toContain('<optgroup label="Alice Example"><option value="enc-a1">');
    expect(html).toMatch(/<option value="itdd-dr-rivera" selected>Dr\. Elena Rivera<\/option>/);
    expect(html).toContain('(no name) (No name recorded)');
    expect(html).toContain('name="deny" value="Observation"');
    expect(html).toContain('name="fail" value="Procedure"');
    expect(html).toContain('name="embed"');
    expect(html).toContain('id="launch"');
    expect(html).toContain('target="_blank"');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien');
    expect(html).not.toContain('<b>markup</b>');
    expect(html).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/);
  });

  it('serves its stylesheet and script as same-origin files', async () => {
    expect((await fetch(`${h.baseUrl}/sandbox/sandbox.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${h.baseUrl}/sandbox/simulator.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  });
});

describe('simulator launch', () => {
  it('redirects a form launch to the app launch URL with iss and launch', async () => {
    const res = await postForm('/simulator/launch', { user: 'itdd-dr-rivera', patient: 'pat-a', encounter: '', deny: ['Device', 'Procedure'] });
    expect(res.status).toBe(303);
    const location = locationOf(res);
    expect(`${location.origin}${location.pathname}`).toBe(APP_LAUNCH);
    expect(location.searchParams.get('iss')).toBe(h.sandbox.fhirBaseUrl);
    expect(location.searchParams.get('launch')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('opens an embedded launch in a fake EHR frame around the app', async () => {
    const res = await postForm('/simulator/launch', { user: 'itdd-rn-okafor', patient: 'pat-b', embed: 'on' });
    expect(res.status).toBe(303);
    const frameUrl = locationOf(res);
    expect(frameUrl.pathname).toMatch(/^\/simulator\/frame\//);
    const frame = await fetch(frameUrl);
    expect(frame.status).toBe(200);
    const html = await frame.text();
    expect(html).toMatch(/<iframe id="app-frame"[^>]* src="http:\/\/localhost:4000\/launch\.html\?iss=[^"]+&amp;launch=[A-Za-z0-9_-]{43}"/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('returns the launch URL as JSON for integration tests', async () => {
    const res = await fetch(`${h.baseUrl}/simulator/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ user: 'itdd-dr-rivera', patient: 'pat-a', encounter: 'enc-a2', vendor: 'epic', embed: true }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { launchUrl: string; frameUrl: string };
    expect(body.launchUrl.startsWith(`${APP_LAUNCH}?iss=`)).toBe(true);
    expect(body.frameUrl).toContain('/simulator/frame/');
  });

  it('refuses an encounter of another patient, unknown people, bad options and cross-site posts', async () => {
    const base = { user: 'itdd-dr-rivera', patient: 'pat-a' };
    expect((await postForm('/simulator/launch', { ...base, encounter: 'enc-b1' })).status).toBe(400);
    expect((await postForm('/simulator/launch', { ...base, patient: 'pat-zzz' })).status).toBe(400);
    expect((await postForm('/simulator/launch', { ...base, user: 'nobody' })).status).toBe(400);
    expect((await postForm('/simulator/launch', { ...base, vendor: 'meditech' })).status).toBe(400);
    expect((await postForm('/simulator/launch', { ...base, deny: 'Patient' })).status).toBe(400);
    expect((await postForm('/simulator/launch', base, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it('answers 404 for an unknown frame', async () => {
    expect((await fetch(`${h.baseUrl}/simulator/frame/nope`)).status).toBe(404);
  });
});

describe('standalone launch (sign-in and patient picker)', () => {
  async function openSignIn(): Promise<{ request: string; csrf: string; cookie: string; verifier: string; html: string }> {
    const { verifier, challenge } = pkcePair();
    const res = await authorize(h, {
      client_id: PUBLIC_CLIENT_ID,
      redirect_uri: PUBLIC_REDIRECT,
      scope: 'launch/patient openid fhirUser patient/Patient.r',
      state: 'standalone-state',
      code_challenge: challenge,
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    const field = (name: string): string => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] as string;
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    return { request: field('request'), csrf: field('csrf'), cookie, verifier, html };
  }

  it('shows users, patients, approve and deny, carrying only a request id and a CSRF token', async () => {
    const page = await openSignIn();
    expect(page.html).toContain('<select name="user">');
    expect(page.html).toContain('<select name="patient">');
    expect(page.html).toContain('id="approve"');
    expect(page.html).toContain('id="deny"');
    expect(page.html).not.toContain('standalone-state');
    expect(page.cookie).toMatch(/^sandbox_browser=/);
  });

  it('issues a code for the chosen patient; a public client redeems it with client_id and PKCE', async () => {
    const page = await openSignIn();
    const res = await postForm(
      '/auth/authorize/decision',
      { request: page.request, csrf: page.csrf, user: 'itdd-compliance-chen', patient: 'pat-c', decision: 'approve' },
      { cookie: page.cookie },
    );
    expect(res.status).toBe(303);
    const location = locationOf(res);
    expect(location.searchParams.get('state')).toBe('standalone-state');
    const token = await postToken(h, {
      grant_type: 'authorization_code',
      code: location.searchParams.get('code') as string,
      redirect_uri: PUBLIC_REDIRECT,
      code_verifier: page.verifier,
      client_id: PUBLIC_CLIENT_ID,
    });
    expect(token.status).toBe(200);
    const body = (await token.json()) as Record<string, unknown>;
    expect(body.patient).toBe('pat-c');
    expect(body).not.toHaveProperty('encounter');
    expect(typeof body.id_token).toBe('string');
  });

  it('redirects with access_denied when the user denies', async () => {
    const page = await openSignIn();
    const res = await postForm(
      '/auth/authorize/decision',
      { request: page.request, csrf: page.csrf, user: 'itdd-dr-rivera', patient: 'pat-a', decision: 'deny' },
      { cookie: page.cookie },
    );
    expect(locationOf(res).searchParams.get('error')).toBe('access_denied');
  });

  it('refuses a decision without the browser cookie, with a wrong CSRF token, or replayed', async () => {
    const form = (p: { request: string; csrf: string }): Record<string, string> => ({
      request: p.request,
      csrf: p.csrf,
      user: 'itdd-dr-rivera',
      patient: 'pat-a',
      decision: 'approve',
    });
    const noCookie = await openSignIn();
    expect((await postForm('/auth/authorize/decision', form(noCookie))).status).toBe(403);
    const wrongCsrf = await openSignIn();
    const tampered = { ...form(wrongCsrf), csrf: 'x'.repeat(43) };
    expect((await postForm('/auth/authorize/decision', tampered, { cookie: wrongCsrf.cookie })).status).toBe(403);
    const once = await openSignIn();
    expect((await postForm('/auth/authorize/decision', form(once), { cookie: once.cookie })).status).toBe(303);
    expect((await postForm('/auth/authorize/decision', form(once), { cookie: once.cookie })).status).toBe(400);
  });
});
