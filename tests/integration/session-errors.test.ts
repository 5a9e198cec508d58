import { CookieAgent } from '../support/cookie-agent';
import { call, completedChecklist, openLaunch, queueFault } from '../support/filing-helpers';
import { contextOf, launchAs, simulatorLaunchUrl } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Session and setup errors say what they are, with the sandbox EHR producing each: a token endpoint that refuses
 * the app (invalid_client) is a setup problem for the analyst, with the EHR's code; a session whose token and
 * refresh are refused ends once and clearly, keeping what was entered for the relaunch; "Signed in as" falls back
 * to the Practitioner record when the id_token has no name (as from Epic or the SMART App Launcher).
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

test('a refused refresh ends the session once, clearly; the snapshot and the answers are kept and a relaunch resumes them', async () => {
  const patient = 'anticoagulant-patient';
  // The launch that will end: its refresh token is refused by the EHR (as after a revocation or a server restart).
  const launch = await launchAs(system, { patient, vendor: 'generic', error: 'refresh_refused' });
  expect(launch.finalResponse.status).toBe(200);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
  const launchId = launch.launchId;
  const s = { launch, csrf, api: `${system.appUrl}/api/launches/${launchId}/discussion` };
  const saved = await completedChecklist(system, s);
  expect(saved.status).toBe(200);
  const before = await contextOf(system, s.launch);

  // The access token is revoked (the next read gets 401); the refresh the app then tries is refused.
  await queueFault(system, { fault: 'unauthorized', scope: 'read', patient, count: 1 });
  const refresh = await call(system, s, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`);
  expect(refresh.status).toBe(401);
  expect(refresh.body.details.reason).toBe('ehr_session_ended');
  expect(refresh.body.message).toMatch(/session with the EHR has ended/);
  expect(refresh.body.hint).toMatch(/Launch the app again from the patient's chart: everything entered so far is kept/);

  // The chart as read at launch is still what the page shows (not ten "not authorized" notes), the answers are kept.
  const after = await contextOf(system, s.launch);
  expect(after.chartRead).toEqual(before.chartRead);
  expect(after.readNotes).toEqual([]);
  const view = await call(system, s, 'GET', s.api);
  expect(Object.keys(view.body.discussion.answers as object).length).toBe(Object.keys(saved.body.discussion.answers as object).length);

  // A relaunch from the chart opens the same draft with everything entered.
  const relaunch = await openLaunch(system, patient, 'generic');
  const resumed = await call(system, relaunch, 'GET', relaunch.api);
  expect(resumed.body.discussion.id).toBe(saved.body.discussion.id);
  expect(resumed.body.discussion.answers).toEqual(saved.body.discussion.answers);
});

test('"Signed in as" comes from the Practitioner record when the id_token has no name (Epic)', async () => {
  const session = await openLaunch(system, 'anticoagulant-patient', 'epic', 'itdd-np-okafor');
  const context = await contextOf(system, session.launch);
  expect(context.user.name).toBe('Grace Okafor, NP');
  const [row] = await system.db.query<{ context: { userName?: string } }>('SELECT context FROM launch_sessions WHERE launch_id = $1', [session.launch.launchId]);
  expect(row?.context.userName ?? '').toBe('');
});
