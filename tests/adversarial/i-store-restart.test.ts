import { call, openLaunch } from '../support/filing-helpers';
import type { PrivatePostgres } from '../support/private-postgres';
import { privatePostgresUnavailable, startPrivatePostgres } from '../support/private-postgres';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Issue 12 item 4, the store side: the PostgreSQL server restarts while clinicians work. The app must not crash
 * (the pool's idle connections die with the server), every request meanwhile gets a clear "cannot reach its
 * database" answer rather than a 500, nothing saved before is lost, and the app works again once the server is back,
 * without a restart of its own. The server is the test's own (see tests/support/private-postgres.ts).
 */
const unavailable = privatePostgresUnavailable();
if (unavailable !== undefined) {
  console.warn(`X19 skipped: ${unavailable}.`);
}

(unavailable === undefined ? describe : describe.skip)('X19: PostgreSQL restarted while clinicians work', () => {
  let pg: PrivatePostgres;
  let system: TestSystem;
  let poolErrors: string[];
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    system = await startTestSystem({ DATABASE_URL: pg.url });
    poolErrors = [];
    // The pool reports its idle connections dying with the server; kept to check they say nothing about a patient.
    consoleError = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      poolErrors.push(args.map(String).join(' '));
    });
  }, 120_000);

  afterAll(async () => {
    consoleError.mockRestore();
    await system?.close();
    await pg?.destroy();
  });

  type Session = Awaited<ReturnType<typeof openLaunch>>;
  const patient = 'sleep-apnoea-benzodiazepine-patient';
  let session: Session;
  let textItem: string;
  let confirmItem: string;
  let version: number;

  const discussion = async (): Promise<Record<string, any>> => (await call(system, session, 'GET', session.api)).body.discussion as Record<string, any>;

  test('X19: PostgreSQL stopped mid-discussion: each request gets a clear 503, not a 500; readiness says the store is unreachable; the app keeps running', async () => {
    expect(system.db.kind).toBe('postgres');
    session = await openLaunch(system, patient, 'generic');
    const view = (await call(system, session, 'GET', session.api)).body;
    textItem = view.checklist.items.find((i: { kind: string; filledBy?: string }) => i.kind === 'text' && i.filledBy !== 'app').id;
    confirmItem = view.checklist.items.find((i: { kind: string }) => i.kind === 'confirm').id;
    let saved = await call(system, session, 'PUT', `${session.api}/answers`, { version: view.discussion.version, answers: { [textItem]: { value: 'Riverside Pain Clinic' } } });
    saved = await call(system, session, 'POST', `${session.api}/notes`, { version: saved.body.discussion.version, text: 'Patient asked about swimming.' });
    expect(saved.status).toBe(200);
    version = saved.body.discussion.version as number;

    await pg.stop();

    // The clinician ticks a box: refused with words, and the page is told to keep it and send it again.
    const attempt = await call(system, session, 'PUT', `${session.api}/answers`, {
      version,
      answers: { [textItem]: { value: 'Riverside Pain Clinic' }, [confirmItem]: { value: true } },
    });
    expect(attempt.status).toBe(503);
    expect(attempt.body).toEqual({
      error: 'service_unavailable',
      message: 'The app cannot reach its database just now.',
      hint: expect.stringMatching(/What was saved before is kept\. A change made just now was not saved/),
      details: { reason: 'store_unavailable' },
    });
    const note = await call(system, session, 'POST', `${session.api}/notes`, { version, text: 'Second note.' });
    expect(note.status).toBe(503);

    // The clinician's page (HTML) says the same, without a stack.
    const page = await session.launch.agent.request(`${system.appUrl}/app/${session.launch.launchId}`);
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain('The app cannot reach its database just now.');
    expect(html).not.toMatch(/ECONNREFUSED|at .*\.(js|ts):\d+/);

    // Another clinician opening the app from the chart meanwhile: a clear page (the refusal cannot be audited
    // either, so that is what it says), not a half-made launch.
    const opening = await fetch(`${system.appUrl}/launch?iss=${encodeURIComponent(`${system.sandboxUrl}/r4`)}&launch=launch-123`, { redirect: 'manual' });
    expect(opening.status).toBe(503);
    expect(await opening.text()).toContain('The app could not record this action in its audit trail, so it was not done.');

    const ready = await fetch(`${system.appUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.store).toBe('unreachable');
    expect((await fetch(`${system.appUrl}/healthz`)).status).toBe(200); // live: restarting it would not help
  });

  test('X19: PostgreSQL back: the same change sent again is saved, nothing earlier is lost, with no app restart', async () => {
    await pg.start();
    const resent = await call(system, session, 'PUT', `${session.api}/answers`, {
      version,
      answers: { [textItem]: { value: 'Riverside Pain Clinic' }, [confirmItem]: { value: true } },
    });
    expect(resent.status).toBe(200);
    version = resent.body.discussion.version as number;
    const d = await discussion();
    expect(d.answers[textItem].value).toBe('Riverside Pain Clinic');
    expect(d.answers[confirmItem].value).toBe(true);
    expect(d.clinicianNotes.map((n: { text: string }) => n.text)).toEqual(['Patient asked about swimming.']);
    expect((await fetch(`${system.appUrl}/readyz`)).status).toBe(200);
    // And a new launch goes through on the same running app.
    const another = await openLaunch(system, 'minimal-data-patient', 'generic');
    expect((await call(system, another, 'GET', another.api)).status).toBe(200);
  });

  test('X19: a quick restart between two saves: the very next save works (the pool drops the dead connections, it does not hand them out)', async () => {
    await pg.stop();
    await pg.start();
    const saved = await call(system, session, 'POST', `${session.api}/notes`, { version, text: 'After the restart.' });
    expect(saved.status).toBe(200);
    expect((await discussion()).clinicianNotes.map((n: { text: string }) => n.text)).toEqual(['Patient asked about swimming.', 'After the restart.']);
    // What the pool said about its dying connections names no patient and no note.
    expect(poolErrors.length).toBeGreaterThan(0);
    expect(poolErrors.join('\n')).not.toMatch(/swimming|Riverside|After the restart/);
    expect(system.logLines.join('\n')).not.toMatch(/swimming|Riverside/);
  });
});
