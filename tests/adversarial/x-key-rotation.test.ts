import crypto from 'node:crypto';
import { runAuditCli } from '../../server/cli/audit';
import { runKeysCli } from '../../server/cli/keys';
import { deriveKeyId } from '../../server/store/sealed-box';
import { call, completedChecklist, fileNote, filingState, openLaunch, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review finding X23: the data-at-rest key (TOKEN_ENCRYPTION_KEY) could not be rotated. Discussions are kept for good,
 * so a new key made every older discussion unreadable. Now an app restarted with the new key current and the old one
 * previous reads everything, `npm run keys -- reseal` moves it all to the new key without breaking the audit chain,
 * and the old key can then be dropped.
 */
const keyA = crypto.randomBytes(32).toString('base64');
const keyB = crypto.randomBytes(32).toString('base64');
const idOf = (key: string): string => deriveKeyId(Buffer.from(key, 'base64'));
const CANARY = 'Asked whether the pump can be felt under the skin (rotation-canary-8812)';

const systems: TestSystem[] = [];

afterAll(async () => {
  const last = systems.at(-1);
  await last?.close();
  await last?.sandbox?.close();
});

function output(): { text: () => string; streams: { out: (t: string) => void; err: (t: string) => void } } {
  const lines: string[] = [];
  return { text: () => lines.join(''), streams: { out: (t) => lines.push(t), err: (t) => lines.push(t) } };
}

test('X23: a discussion, its filing and its launch sealed under key A survive the rotation to B and the retirement of A', async () => {
  const first = await startTestSystem({ TOKEN_ENCRYPTION_KEY: keyA });
  systems.push(first);
  const session = await openLaunch(first, 'anticoagulant-patient', 'generic');
  const opened = (await call(first, session, 'GET', session.api)).body;
  const noted = await call(first, session, 'POST', `${session.api}/notes`, { version: opened.discussion.version, text: CANARY });
  expect(noted.status).toBe(200);
  const saved = await completedChecklist(first, session);
  const attested = await call(first, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  expect(attested.status).toBe(200);
  const discussionId = attested.body.discussion.id as string;
  expect((await fileNote(first, { ...session, discussionId, patient: 'anticoagulant-patient' })).status).toBeLessThan(300);
  const filed = await waitForFiling(first, session, discussionId);
  expect(filed.final).toBe(true);

  /** The same browser (cookie) asks each instance for the discussion, its filing and the chart (from the snapshot). */
  const readBack = async (system: TestSystem): Promise<void> => {
    const view = await call(system, session, 'GET', session.api);
    expect(view.status).toBe(200);
    expect(view.body.discussion.status).toBe('attested');
    expect(view.body.discussion.clinicianNotes.map((n: { text: string }) => n.text)).toEqual([CANARY]);
    expect(await filingState(system, session, discussionId)).toEqual(filed);
    const chart = await call(system, session, 'GET', `${system.appUrl}/api/launches/${session.launch.launchId}/context`);
    expect(chart.status).toBe(200);
  };
  /** Starts the next instance on the same store, sandbox EHR and port; the one before it must be stopped. */
  const restart = async (env: Record<string, string>): Promise<TestSystem> => {
    const next = await startTestSystem({ PORT: new URL(first.appUrl).port, ...env }, { dataDir: first.dataDir, sandbox: first.sandbox! });
    systems.push(next);
    return next;
  };

  // The new key is deployed; the old one stays listed as previous until the re-seal is done.
  await first.close({ keepSandbox: true, keepData: true });
  const rotated = await restart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA });
  await readBack(rotated);

  // The re-seal runs (on the embedded store the app is stopped: PGlite is one process's), reports per column and
  // prints no clinical content; the audit chain still verifies: it never hashed a sealed value.
  await rotated.close({ keepSandbox: true, keepData: true });
  const env = { DATA_DIR: first.dataDir, TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA };
  const resealed = output();
  expect(await runKeysCli(['reseal'], env, resealed.streams)).toBe(0);
  expect(resealed.text()).toMatch(/^discussions\.payload_sealed: 1 re-sealed, /m);
  expect(resealed.text()).toMatch(/^launch_sessions\.tokens_sealed: 1 re-sealed, /m);
  expect(resealed.text()).toMatch(/^write_intents\.payload_sealed: 1 re-sealed, /m);
  const status = output();
  expect(await runKeysCli(['status'], { DATA_DIR: first.dataDir, TOKEN_ENCRYPTION_KEY: keyB }, status.streams)).toBe(0);
  expect(status.text()).not.toContain(idOf(keyA));
  expect(status.text()).toMatch(new RegExp(`^discussions\\.payload_sealed: 1 under ${idOf(keyB)} \\(current\\)$`, 'm'));
  const audit = output();
  expect(await runAuditCli(['verify'], { DATA_DIR: first.dataDir }, audit.streams)).toBe(0);
  expect(audit.text()).toMatch(/^audit chain intact/);
  for (const printed of [resealed.text(), status.text()]) {
    expect(printed).not.toContain('rotation-canary');
  }

  // Key A is retired: the app with only B reads everything, and the launch's EHR tokens still work (a chart refresh).
  const retired = await restart({ TOKEN_ENCRYPTION_KEY: keyB });
  await readBack(retired);
  const refreshed = await call(retired, session, 'POST', `${retired.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {});
  expect(refreshed.status).toBe(200);
});
