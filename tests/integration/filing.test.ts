import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';
import { attestedDiscussion, fileNote, notesInChart, postsSince, waitForFiling } from '../support/filing-helpers';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

describe('smoke', () => {
  test('generic', async () => {
    const since = Date.now();
    const s = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
    const filed = await fileNote(system, s);
    console.log(filed.status, filed.body);
    const state = await waitForFiling(system, s, s.discussionId);
    console.log(state);
    console.log((await notesInChart(system, s.patient, s.discussionId)).length, postsSince(system, s.patient, since));
    console.log(system.logLines.filter((l) => !l.includes('http.request')).slice(-30).join('\n'));
  });
});
