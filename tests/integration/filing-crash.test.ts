import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/project-root';
import { attestedDiscussion, fileNote, notesInChart, queueFault, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The app process killed (SIGKILL, no shutdown code runs) after it sent the note and before the EHR answered, then
 * started again: the write ledger still says "sent", the new process's recovery sweep searches the chart, finds the
 * note and records it — exactly one document, exactly one POST.
 *
 * The process that dies is the built server (`dist/server/main.js`, what `npm test` builds first) on the same port,
 * store and keys, pointed at the sandbox EHR this test runs (its chart and tokens survive the crash).
 */
const MAIN = path.join(projectRoot(), 'dist', 'server', 'main.js');
const LEASE_MS = '2000';

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function startAppProcess(first: TestSystem): ChildProcess {
  const sandboxUrl = first.sandboxUrl ?? '';
  // The sandbox's Epic tenant exactly as the first instance configured it: the launch and its discussion belong to it.
  const tenant = { id: 'sandbox-epic', name: 'Sandbox EHR imitating Epic', iss: `${sandboxUrl}/epic/r4`, vendor: 'epic', clientId: first.config.clientId, authOrigins: [sandboxUrl] };
  return spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: new URL(first.appUrl).port,
      DATA_DIR: first.dataDir,
      SANDBOX: 'off',
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify([tenant]),
      WRITE_LEASE_MS: LEASE_MS,
      PDF_WARM: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
}

test('killed between "sent" and the answer, restarted: the ledger reconciles to exactly one document', async () => {
  expect(fs.existsSync(MAIN)).toBe(true); // built by `npm test` before jest runs
  const first = await startTestSystem({ WRITE_LEASE_MS: LEASE_MS });
  let child: ChildProcess | undefined;
  let third: TestSystem | undefined;
  try {
    const patient = 'baclofen-pump-patient';
    const session = await attestedDiscussion(first, patient, 'epic');
    await first.close({ keepSandbox: true, keepData: true });

    child = startAppProcess(first);
    await waitFor(async () => (await fetch(`${first.appUrl}/healthz`, { signal: AbortSignal.timeout(1000) })).ok, 20_000, 'the app process');
    await queueFault(first, { fault: 'slow', patient, delayMs: 60_000 });
    const since = Date.now();
    const answer = fileNote(first, session).then(
      () => 'answered',
      () => 'connection lost',
    );
    await waitFor(async () => (await notesInChart(first, patient, session.discussionId)).length === 1, 20_000, 'the note in the chart');
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await answer).toBe('connection lost');

    await new Promise((resolve) => setTimeout(resolve, Number(LEASE_MS) + 500)); // the dead process's lease runs out
    third = await startTestSystem({ PORT: new URL(first.appUrl).port, WRITE_LEASE_MS: LEASE_MS }, { dataDir: first.dataDir, sandbox: first.sandbox! });
    const state = await waitForFiling(third, session, session.discussionId, (s) => s.final === true, 30_000);
    expect(state).toMatchObject({ state: 'reconciled', filed: true, attempts: 1 });
    const notes = await notesInChart(third, patient, session.discussionId);
    expect(notes.map((n) => n.id)).toEqual([state.documentId]);
    const posts = third.sandbox!.sandboxWriteLog().filter((w) => w.method === 'POST' && w.patientId === patient && w.at >= since);
    expect(posts).toHaveLength(1);
  } finally {
    child?.kill('SIGKILL');
    await third?.close();
    await first.sandbox?.close();
  }
}, 90_000);
