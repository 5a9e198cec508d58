import crypto from 'node:crypto';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { AttestedSession } from '../support/filing-helpers';
import { attestedDiscussion, fileNote, notesInChart, waitForFiling } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * A reprint is the printed document: for the same discussion, GET handout.pdf returns the same bytes every time,
 * and they are the bytes filed with the note, whose text records their SHA-256 — so anyone holding a reprint can
 * check it against the chart. Over the real system (app, sandbox EHR in generic mode, which takes the PDF, Chromium).
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

const sha256 = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');
const attachment = (note: DocumentReference, contentType: RegExp): Buffer =>
  Buffer.from(note.content.find((c) => contentType.test(c.attachment.contentType ?? ''))?.attachment.data ?? '', 'base64');

async function reprint(s: AttestedSession, query = ''): Promise<Buffer> {
  const response = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout.pdf?discussionId=${s.discussionId}${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pdf');
  return Buffer.from(await response.arrayBuffer());
}

test('two prints of the same discussion are byte-equal, and are the PDF whose SHA-256 the filed note records', async () => {
  const s = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
  const first = await reprint(s);
  // Chromium stamps its PDFs with the clock, to the second: let it move on before the reprint.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const second = await reprint(s);
  expect(first.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(sha256(second)).toBe(sha256(first));
  expect(second.equals(first)).toBe(true);

  const filed = await fileNote(system, s);
  expect(filed.status).toBe(200);
  expect(await waitForFiling(system, s, s.discussionId)).toMatchObject({ state: 'confirmed' });
  const notes = await notesInChart(system, s.patient, s.discussionId);
  expect(notes).toHaveLength(1);
  const note = notes[0];
  const noteText = attachment(note, /^text\/plain/).toString('utf8');
  const recorded = /Handout PDF SHA-256: ([0-9a-f]{64})/.exec(noteText)?.[1];
  expect(recorded).toBe(sha256(attachment(note, /^application\/pdf$/)));

  const afterFiling = await reprint(s);
  expect(sha256(afterFiling)).toBe(recorded);
  expect(afterFiling.equals(first)).toBe(true);
}, 120_000);

test('large print reprints the same bytes too, and differs from the regular print', async () => {
  const s = await attestedDiscussion(system, 'antiplatelet-patient', 'generic');
  const regular = await reprint(s);
  const large = await reprint(s, '&large=1');
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect((await reprint(s, '&large=1')).equals(large)).toBe(true);
  expect(large.equals(regular)).toBe(false);
}, 120_000);
