import crypto from 'node:crypto';
import type { AttestedSession } from '../support/filing-helpers';
import { attestedDiscussion, fileNote, openLaunch, waitForFiling } from '../support/filing-helpers';
import type { CompletedLaunch } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * No GET changes the record: opening the chart, the handout, the checklist or a filing's state — as a physician,
 * a nurse or a compliance analyst — leaves the discussions, the write ledger, the chart snapshots and the launch
 * sessions exactly as they were. Every GET route the app has is exercised (read from the app's router, so a route
 * added later is checked too), each on a launch with no draft yet and on one whose discussion is filed.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

/** Where a GET legitimately writes: the SMART launch itself (the OAuth redirect is a GET by the spec). */
const LAUNCH_FLOW = new Set(['/launch', '/launch.html', '/standalone', '/compliance/launch', '/callback']);
const TABLES = ['discussions', 'write_intents', 'chart_snapshots', 'launch_sessions'];
/** The session's activity time (its idle timeout) moves with every request; it is not part of the record. */
const ACTIVITY = new Set(['last_seen_at']);

/** Each row of each table as `table key: digest of its columns`, so a failure names the row that changed. */
async function storeSnapshot(): Promise<string[]> {
  const rows: string[] = [];
  for (const table of TABLES) {
    for (const row of await system.db.query(`SELECT * FROM ${table} ORDER BY 1`)) {
      const kept = Object.entries(row).filter(([column]) => !ACTIVITY.has(column));
      const digest = crypto.createHash('sha256').update(JSON.stringify(kept)).digest('hex').slice(0, 16);
      rows.push(`${table} ${String(kept[0]?.[1])}: ${digest}`);
    }
  }
  return rows;
}

/** The URLs to GET for one route pattern on this launch (with and without the optional discussion id). */
function urlsOf(pattern: string, launch: CompletedLaunch, discussionId: string | undefined): string[] {
  const path = pattern.replace(':launchId', launch.launchId);
  const base = `${system.appUrl}${path}`;
  if (discussionId === undefined || !/handout|filing|note-preview/.test(pattern)) {
    return [base];
  }
  return [base, `${base}?discussionId=${discussionId}`];
}

async function getEverything(launch: CompletedLaunch, discussionId?: string): Promise<string[]> {
  const routes = system.routes().filter((r) => r.method === 'GET' && !LAUNCH_FLOW.has(r.path));
  const seen: string[] = [];
  for (const route of routes) {
    for (const url of urlsOf(route.path, launch, discussionId)) {
      const before = await storeSnapshot();
      const response = await launch.agent.request(url, { headers: { accept: route.path.startsWith('/api') ? 'application/json' : 'text/html' } });
      await response.arrayBuffer();
      expect({ url, status: response.status }).toEqual({ url, status: expect.any(Number) as number });
      expect({ url, store: await storeSnapshot() }).toEqual({ url, store: before });
      seen.push(`${route.path} ${response.status}`);
    }
  }
  return seen;
}

test('the app has the GET routes this test knows how to call', () => {
  const gets = system.routes().filter((r) => r.method === 'GET').map((r) => r.path);
  expect(gets).toEqual(expect.arrayContaining(['/api/launches/:launchId/discussion', '/app/:launchId/handout', '/api/launches/:launchId/discussion/filing']));
  for (const path of gets) {
    expect(path.startsWith('/') && !/:(?!launchId\b)/.test(path)).toBe(true);
  }
});

test.each(['itdd-dr-rivera', 'itdd-rn-patel', 'itdd-compliance-brooks'])('GETs from a fresh launch as %s create no discussion', async (user) => {
  const session = await openLaunch(system, 'diabetes-hba1c-patient', 'generic', user);
  const seen = await getEverything(session.launch);
  expect(seen.some((s) => s.startsWith('/api/launches/:launchId/discussion 200'))).toBe(true);
  expect(seen.some((s) => s.startsWith('/app/:launchId/handout 200'))).toBe(true);
  const drafts = await system.db.query('SELECT id FROM discussions');
  expect(drafts).toEqual([]);
});

test('GETs of a filed discussion, from its own launch and from a relaunch, change nothing', async () => {
  const attested: AttestedSession = await attestedDiscussion(system, 'anticoagulant-patient', 'epic');
  await fileNote(system, attested);
  expect((await waitForFiling(system, attested, attested.discussionId)).filed).toBe(true);
  await getEverything(attested.launch, attested.discussionId);
  const relaunch = await openLaunch(system, 'anticoagulant-patient', 'epic', 'itdd-rn-patel');
  await getEverything(relaunch.launch, attested.discussionId);
});
