import type { FaultProxy } from '../support/fault-proxy';
import { startFaultProxy } from '../support/fault-proxy';
import { attestedDiscussion, call, fileNote, filingState, notesInChart, postsSince, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Issue 12 item 4, the EHR side of filing: the EHR goes down (its port refuses connections) just as the clinician
 * files the note. The attested discussion is kept, the filing waits saying in words that nothing was filed yet, and
 * once the EHR is back the app files it by itself — one note — with no app restart and nothing entered again.
 */
let proxy: FaultProxy;
let system: TestSystem;

beforeAll(async () => {
  proxy = await startFaultProxy();
  system = await startTestSystem({ SANDBOX: 'on', SANDBOX_BASE_URL: proxy.origin });
  proxy.targetPort = system.sandbox!.port;
});

afterAll(async () => {
  await system.close();
  await proxy.close();
});

test('X20: the EHR down when the note is filed: the filing waits ("could not be reached; nothing was filed yet"), the discussion is kept, and it is filed once the EHR is back, without an app restart', async () => {
  const patient = 'minimal-data-patient';
  const since = Date.now();
  const s = await attestedDiscussion(system, patient, 'generic');
  await proxy.down();

  const filed = await fileNote(system, s);
  expect(filed.status).toBeLessThan(300);
  const waiting = await waitForFiling(system, s, s.discussionId, (state) => state.lastError?.code === 'ehr_unreachable', 30_000);
  expect(waiting.final).not.toBe(true);
  expect(waiting.lastError).toEqual({ code: 'ehr_unreachable', message: 'The EHR could not be reached; nothing was filed yet.' });
  expect(postsSince(system, patient, since)).toEqual([]);

  // Meanwhile the attested discussion is there as it was.
  const during = await call(system, s, 'GET', s.api);
  expect(during.status).toBe(200);
  expect(during.body.discussion).toMatchObject({ id: s.discussionId, status: 'attested' });

  // The EHR comes back. Nobody clicks anything: the deferred filing is retried (its breaker's pause and the
  // recovery sweep are half a minute each) and lands once.
  await proxy.up();
  const done = await waitForFiling(system, s, s.discussionId, (state) => state.final === true, 100_000);
  expect(done).toMatchObject({ state: 'confirmed', final: true });
  expect(await notesInChart(system, patient, s.discussionId)).toHaveLength(1);
  expect(postsSince(system, patient, since).filter((post) => post.status === 201)).toHaveLength(1);
  expect((await filingState(system, s, s.discussionId)).state).toBe('confirmed');
}, 150_000);
