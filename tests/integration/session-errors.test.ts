import { openLaunch } from '../support/filing-helpers';
import { contextOf } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * "Signed in as" falls back to the Practitioner record when the id_token has no name (as from Epic or the SMART App
 * Launcher). The token endpoint's setup refusals and an ended EHR session (the review's C6, C10) are in
 * tests/adversarial/c-token; a session whose token and refresh
 * are refused (F1) is in tests/adversarial/f-chart-data.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

test('"Signed in as" comes from the Practitioner record when the id_token has no name (Epic)', async () => {
  const session = await openLaunch(system, 'anticoagulant-patient', 'epic', 'itdd-np-okafor');
  const context = await contextOf(system, session.launch);
  expect(context.user.name).toBe('Grace Okafor, NP');
  const [row] = await system.db.query<{ context: { userName?: string } }>('SELECT context FROM launch_sessions WHERE launch_id = $1', [session.launch.launchId]);
  expect(row?.context.userName ?? '').toBe('');
});
