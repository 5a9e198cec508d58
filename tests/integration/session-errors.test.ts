import { CookieAgent } from '../support/cookie-agent';
import { openLaunch } from '../support/filing-helpers';
import { contextOf, simulatorLaunchUrl } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Session and setup errors say what they are, with the sandbox EHR producing each: a token endpoint that refuses
 * the app (invalid_client) is a setup problem for the analyst, with the EHR's code; "Signed in as" falls back to the
 * Practitioner record when the id_token has no name (as from Epic or the SMART App Launcher). A session whose token
 * and refresh are refused (case F1) is in tests/adversarial/f-chart-data.test.ts.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

const pageText = async (response: Response): Promise<string> => (await response.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('invalid_client at the token endpoint is worded as a setup problem with the EHR\'s code, not "try again"', async () => {
  const { response, url } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'invalid_client' }));
  expect(url).toMatch(/\/callback\?/);
  expect(response.status).toBe(502);
  const text = await pageText(response);
  expect(text).toContain('EHR error code: invalid_client');
  expect(text).toMatch(/setup problem: launching again will not fix it/);
  expect(text).toMatch(/Tell your EHR analyst/);
  expect(text).not.toMatch(/in a minute/);
  for (const secret of system.sandbox!.sandboxSecrets()) {
    expect(text).not.toContain(secret);
  }
});

test('"Signed in as" comes from the Practitioner record when the id_token has no name (Epic)', async () => {
  const session = await openLaunch(system, 'anticoagulant-patient', 'epic', 'itdd-np-okafor');
  const context = await contextOf(system, session.launch);
  expect(context.user.name).toBe('Grace Okafor, NP');
  const [row] = await system.db.query<{ context: { userName?: string } }>('SELECT context FROM launch_sessions WHERE launch_id = $1', [session.launch.launchId]);
  expect(row?.context.userName ?? '').toBe('');
});
