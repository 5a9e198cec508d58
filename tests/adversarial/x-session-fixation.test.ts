import { CookieAgent } from '../support/cookie-agent';
import { launchAs } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review finding X16: session fixation — the server accepted any well-formed, client-chosen browser session cookie
 * and never issued a new one at the callback, so whoever planted the id in a clinician's browser shared the
 * launch. The callback now issues a fresh id; the planted one is left holding nothing.
 */
let system: TestSystem;
const COOKIE = '__Host-itdd_sid';

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

test('X16: an id planted before the sign-in is replaced at the callback, and opens nothing afterwards', async () => {
  const planted = 'A'.repeat(43);
  const attacker = new CookieAgent();
  const victim = new CookieAgent();
  for (const agent of [attacker, victim]) {
    // What a planted cookie looks like to the app: the browser sends it.
    (agent as unknown as { jar: Map<string, Map<string, string>> }).jar.set(new URL(system.appUrl).hostname, new Map([[COOKIE, planted]]));
  }
  const launch = await launchAs(system, { patient: 'anticoagulant-patient' }, victim);
  expect(launch.finalResponse.status).toBe(200);
  const callback = victim.hops.find((hop) => hop.url.startsWith(`${system.appUrl}/callback`));
  expect(callback).toBeDefined();
  expect(victim.cookieValues()).not.toContain(planted);

  // The victim keeps working; the attacker's copy of the planted id reaches neither the page nor the API.
  expect((await victim.request(`${system.appUrl}/api/launches/${launch.launchId}/context`)).status).toBe(200);
  expect((await attacker.request(`${system.appUrl}/app/${launch.launchId}`)).status).toBeGreaterThanOrEqual(400);
  expect((await attacker.request(`${system.appUrl}/api/launches/${launch.launchId}/context`)).status).toBeGreaterThanOrEqual(400);
});

test('X16: two windows of one browser keep both launches across the second sign-in', async () => {
  const browser = new CookieAgent();
  const first = await launchAs(system, { patient: 'anticoagulant-patient' }, browser);
  const second = await launchAs(system, { patient: 'diabetes-hba1c-patient' }, browser);
  for (const launch of [first, second]) {
    expect((await browser.request(`${system.appUrl}/api/launches/${launch.launchId}/context`)).status).toBe(200);
  }
});
