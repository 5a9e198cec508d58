import fs from 'node:fs';
import type { RunningSandbox } from '../../server/boot';
import { runContentCli } from '../../server/cli/content';
import type { AttestedSession } from '../support/filing-helpers';
import { attestedDiscussion, openLaunch } from '../support/filing-helpers';
import { contentFolderCopy, editHandout, withCitationsCompleted } from '../support/content-fixture';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Content approval on the served path (the handout routes production uses, with `CONTENT_APPROVAL=required` as in
 * production — the sandbox EHR stands in for a real one): an unapproved pack is refused, approving it from the
 * compliance service or from `npm run content -- approve` lets it print, a discussion held on 1.0.0 reprints the very
 * bytes of 1.0.0 after 1.1.0 is published and approved, and a file changed after approval is refused again while the
 * discussions held on the approved content still reprint it.
 */
const REVIEWER = 'Ana Ruiz, MD (pain medicine)';
const PATIENT = 'anticoagulant-patient';
const contentDir = withCitationsCompleted(contentFolderCopy());
const env = { CONTENT_APPROVAL: 'required', CONTENT_DIR: contentDir };

let system: TestSystem;
let sandbox: RunningSandbox | undefined;

afterAll(async () => {
  await system.close();
  await sandbox?.close();
  fs.rmSync(contentDir, { recursive: true, force: true });
});

type Launched = Pick<AttestedSession, 'launch'>;

async function get(s: Launched, route: string, query = ''): Promise<Response> {
  return s.launch.agent.request(`${system.appUrl}${route.replace(':launchId', s.launch.launchId)}${query}`);
}

async function pdfOf(s: Launched, query = ''): Promise<Buffer> {
  const response = await get(s, '/api/launches/:launchId/handout.pdf', query);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Stops the app (keeping its store and the sandbox EHR), lets `between` run, starts it again on the same store. */
async function restart(between: () => Promise<void>): Promise<void> {
  const port = new URL(system.appUrl).port;
  const { dataDir } = system;
  sandbox = system.sandbox;
  await system.close({ keepData: true, keepSandbox: true });
  await between();
  system = await startTestSystem({ ...env, PORT: port }, { dataDir, ...(sandbox === undefined ? {} : { sandbox }) });
}

test('production refuses an unapproved or changed pack; approving it lets it print; a discussion on 1.0.0 reprints 1.0.0 after 1.1.0', async () => {
  editHandout(contentDir, 'en', (pack) => {
    pack.version = '1.0.0';
  });
  system = await startTestSystem(env);

  // Unapproved: neither the preview nor the PDF is given, and the page says why.
  const before = await openLaunch(system, PATIENT, 'generic');
  for (const route of ['/app/:launchId/handout', '/api/launches/:launchId/handout.pdf']) {
    const refused = await get(before, route);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toMatch(/pack_not_approved/);
  }

  // The compliance screen's approval (the service it calls), while the app runs: the next print goes through.
  await system.content.approve({ packId: 'itdd-pump-handout', language: 'en', version: '1.0.0', reviewer: REVIEWER, approvedBy: 'Practitioner/itdd-compliance' });
  const preview = await get(before, '/app/:launchId/handout');
  expect(preview.status).toBe(200);
  expect(await preview.text()).not.toContain('<p class="draft-banner"');
  const info = await (await get(before, '/api/launches/:launchId/handout-info')).json() as Record<string, any>;
  expect(info.pack).toMatchObject({ version: '1.0.0', review: { status: 'approved', reviewedBy: REVIEWER } });
  expect(info.printable).toBe(true);

  // A discussion held and attested on 1.0.0, and what it printed.
  const held = await attestedDiscussion(system, PATIENT, 'generic');
  const reprintQuery = `?discussionId=${held.discussionId}`;
  const printedOn100 = await pdfOf(held, reprintQuery);

  // The author publishes 1.1.0; a reviewer approves it from the command line while the app is stopped.
  await restart(async () => {
    editHandout(contentDir, 'en', (pack) => {
      pack.version = '1.1.0';
      pack.title = `${pack.title as string}: what to expect`;
    });
    const out: string[] = [];
    const code = await runContentCli(['approve', '--pack', 'itdd-pump-handout', '--language', 'en', '--version', '1.1.0', '--reviewer', REVIEWER], { DATA_DIR: system.dataDir, CONTENT_DIR: contentDir }, { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect([code, out.join('')]).toEqual([0, expect.stringMatching(/^approved itdd-pump-handout\.en 1\.1\.0/)]);
  });
  // The discussion held on 1.0.0 reprints 1.0.0, byte for byte, from the archive.
  expect((await pdfOf(held, reprintQuery)).equals(printedOn100)).toBe(true);
  const heldInfo = await (await get(held, '/api/launches/:launchId/handout-info', reprintQuery)).json() as Record<string, any>;
  expect(heldInfo.pack.version).toBe('1.0.0');
  // A new discussion gets 1.1.0, approved.
  const after = await openLaunch(system, PATIENT, 'generic');
  const newInfo = await (await get(after, '/api/launches/:launchId/handout-info')).json() as Record<string, any>;
  expect(newInfo.pack).toMatchObject({ version: '1.1.0', title: expect.stringMatching(/: what to expect$/), review: { status: 'approved' } });
  expect((await pdfOf(after)).subarray(0, 5).toString('latin1')).toBe('%PDF-');

  // 1.1.0's file is changed after approval without a new version: at start it is a draft again, refused, logged.
  await restart(() => {
    editHandout(contentDir, 'en', (pack) => {
      pack.title = `${pack.title as string} (edited)`;
    });
    return Promise.resolve();
  });
  expect(system.logLines.some((line) => line.includes('"content.approval_revoked"') && line.includes('"version":"1.1.0"'))).toBe(true);
  const changed = await openLaunch(system, PATIENT, 'generic');
  const refusedAgain = await get(changed, '/api/launches/:launchId/handout.pdf');
  expect(refusedAgain.status).toBe(422);
  expect(await refusedAgain.json()).toMatchObject({ error: 'unprocessable', details: { reason: 'pack_changed_since_approval' } });
  // What was discussed on approved content still reprints, exactly.
  expect((await pdfOf(held, reprintQuery)).equals(printedOn100)).toBe(true);
  const revoked = await system.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_events WHERE action = 'content.approval-revoked'`);
  expect(Number(revoked[0]?.n)).toBe(1);
}, 300_000);
