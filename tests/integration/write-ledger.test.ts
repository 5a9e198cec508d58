import crypto from 'node:crypto';
import type { DocumentReference } from 'fhir/r4';
import { AppError } from '../../server/errors';
import type { Db } from '../../server/store/db';
import { createSealedBox } from '../../server/store/sealed-box';
import type { NewIntent } from '../../server/writeback/ledger';
import { intentKeyOf, WriteLedger } from '../../server/writeback/ledger';
import { dbTargets } from '../support/db-targets';

/**
 * The write ledger on every backend (PGlite in memory, and PostgreSQL when TEST_DATABASE_URL is set): one intent per
 * discussion however many callers race, a lease that lets exactly one of them send, compare-and-set transitions,
 * and the note (PHI) sealed in the row.
 */
const CANARY = 'Zebulon Quattlebaum-Canary';

type Target = [string, () => Promise<{ db: Db; cleanup: () => Promise<void> }>];

const targets: Target[] = dbTargets('ledger_test').map(([name, make]): Target => [
  name,
  async () => {
    const target = make();
    const db = await target.open();
    return { db, cleanup: () => target.cleanup(db) };
  },
]);

function noteDocument(discussionId: string, text: string): DocumentReference {
  const bytes = Buffer.from(text, 'utf8');
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${discussionId}` }],
    subject: { reference: 'Patient/p-1', display: CANARY },
    content: [{ attachment: { contentType: 'text/plain', data: bytes.toString('base64'), hash: crypto.createHash('sha1').update(bytes).digest('base64'), size: bytes.length } }],
  };
}

function newIntent(overrides: Partial<NewIntent> = {}): NewIntent {
  const discussionId = overrides.discussionId ?? crypto.randomUUID();
  const text = `Patient: ${CANARY}\nDiscussion ID: urn:uuid:${discussionId}\n`;
  return {
    discussionId,
    tenantId: 'sandbox',
    fhirBaseUrl: 'http://localhost:4001/fhir',
    patientId: 'p-1',
    encounterId: 'e-1',
    clinician: 'Practitioner/dr-1',
    launchId: 'launch-aaaaaaaaaaaaaaaa',
    profile: 'epic',
    documentReference: noteDocument(discussionId, text),
    noteSha256: crypto.createHash('sha256').update(text).digest('hex'),
    ...overrides,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(targets)('write ledger on %s', (_name, open) => {
  let db: Db;
  let cleanup: () => Promise<void>;
  let ledger: WriteLedger;
  const box = createSealedBox({ current: { id: 'k1', key: crypto.randomBytes(32) } });

  beforeAll(async () => {
    ({ db, cleanup } = await open());
    ledger = new WriteLedger(db, box);
  });

  afterAll(async () => {
    await cleanup();
    await db.close();
  });

  describe('one intent per discussion', () => {
    test('recording the same intent twice returns the first, unchanged', async () => {
      const intent = newIntent();
      const first = await ledger.record(intent);
      const second = await ledger.record(intent);
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.intent.id).toBe(first.intent.id);
      expect(first.intent).toMatchObject({ state: 'pending', attempts: 0, identifier: `urn:uuid:${intent.discussionId}`, intentKey: intentKeyOf(intent) });
    });

    test('ten callers racing to record one discussion get one row between them', async () => {
      const intent = newIntent();
      const results = await Promise.all(Array.from({ length: 10 }, () => ledger.record(intent)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.intent.id)).size).toBe(1);
      const rows = await db.query('SELECT id FROM write_intents WHERE discussion_id = $1', [intent.discussionId]);
      expect(rows).toHaveLength(1);
    });

    test('two builds of one discussion that differ (a re-rendered PDF) still land on one live intent', async () => {
      const a = newIntent({ pdfSha256: 'a'.repeat(64) });
      const b = { ...a, pdfSha256: 'b'.repeat(64) };
      expect(intentKeyOf(a)).not.toBe(intentKeyOf(b));
      const [first, second] = await Promise.all([ledger.record(a), ledger.record(b)]);
      expect(second.intent.id).toBe(first.intent.id);
    });

    test('the store itself refuses a second row with an intent key already recorded', async () => {
      // Below the ledger's own checks: whatever code path inserts, the table holds one row per intent key, so the
      // same note can never be queued twice for the same chart. The copy differs only in id and discussion id, so
      // the one-live-intent-per-discussion index is not what stops it.
      const { intent: first } = await ledger.record(newIntent());
      const copy = (): Promise<unknown> =>
        db.query(
          `INSERT INTO write_intents (id, intent_key, discussion_id, tenant_id, fhir_base_url, patient_id, encounter_id,
             clinician, launch_id, profile, state, identifier, request_sha256, note_sha256, payload_sealed, created_at,
             updated_at)
           SELECT $2, intent_key, $3, tenant_id, fhir_base_url, patient_id, encounter_id, clinician, launch_id, profile,
             state, identifier, request_sha256, note_sha256, payload_sealed, now(), now()
           FROM write_intents WHERE id = $1`,
          [first.id, crypto.randomUUID(), crypto.randomUUID()],
        );
      await expect(copy()).rejects.toThrow(/unique|duplicate/i);
      const [{ intent_key: key }] = await db.query<{ intent_key: string }>('SELECT intent_key FROM write_intents WHERE id = $1', [first.id]);
      expect(await db.query('SELECT id FROM write_intents WHERE intent_key = $1', [key])).toHaveLength(1);
    });

    test('recording a retracted note again, unchanged, does not queue it a second time', async () => {
      // Only a replacement (which names the document it replaces, so its key differs) may follow a retraction.
      const intent = newIntent();
      const { intent: first } = await ledger.record(intent);
      await ledger.acquireLease(first.id, 'me', 60_000);
      await ledger.apply(first.id, 'me', 'pending', 'send');
      await ledger.apply(first.id, 'me', 'sent', 'confirm', { documentId: 'doc-1' });
      await ledger.apply(first.id, 'me', 'confirmed', 'retract');
      const again = await ledger.record(intent);
      expect(again.created).toBe(false);
      expect(again.intent).toMatchObject({ id: first.id, state: 'entered-in-error' });
      expect(await db.query('SELECT id FROM write_intents WHERE discussion_id = $1', [intent.discussionId])).toHaveLength(1);
    });

    test('the intent key covers base, patient, encounter, discussion and content', () => {
      const base = newIntent();
      const variants: Partial<NewIntent>[] = [
        { fhirBaseUrl: 'http://other/fhir' }, { patientId: 'p-2' }, { encounterId: 'e-2' },
        { discussionId: crypto.randomUUID() }, { noteSha256: 'f'.repeat(64) }, { replacesDocumentId: 'doc-1' },
      ];
      const keys = variants.map((v) => intentKeyOf({ ...base, ...v }));
      expect(new Set([intentKeyOf(base), ...keys]).size).toBe(variants.length + 1);
      expect(intentKeyOf({ ...base, launchId: 'another-launch-aaaa' })).toBe(intentKeyOf(base));
    });
  });

  describe('the lease', () => {
    test('two concurrent senders: exactly one gets the lease; the other sees the intent held', async () => {
      const { intent } = await ledger.record(newIntent());
      const [a, b] = await Promise.all([ledger.acquireLease(intent.id, 'owner-a', 60_000), ledger.acquireLease(intent.id, 'owner-b', 60_000)]);
      expect([a, b].filter((x) => x !== undefined)).toHaveLength(1);
      const holder = a === undefined ? 'owner-b' : 'owner-a';
      const other = holder === 'owner-a' ? 'owner-b' : 'owner-a';
      expect(await ledger.apply(intent.id, other, 'pending', 'send')).toBeUndefined();
      expect((await ledger.apply(intent.id, holder, 'pending', 'send'))?.state).toBe('sent');
    });

    test('the holder may renew; a released lease is free at once; an expired one is free to others', async () => {
      const { intent } = await ledger.record(newIntent());
      expect(await ledger.acquireLease(intent.id, 'a', 60_000)).toBeDefined();
      expect(await ledger.acquireLease(intent.id, 'a', 60_000)).toBeDefined();
      expect(await ledger.acquireLease(intent.id, 'b', 60_000)).toBeUndefined();
      await ledger.releaseLease(intent.id, 'b');
      expect(await ledger.acquireLease(intent.id, 'b', 60_000)).toBeUndefined();
      await ledger.releaseLease(intent.id, 'a');
      expect(await ledger.acquireLease(intent.id, 'b', 80)).toBeDefined();
      expect(await ledger.acquireLease(intent.id, 'c', 60_000)).toBeUndefined();
      await sleep(150);
      expect((await ledger.acquireLease(intent.id, 'c', 60_000))?.leaseOwner).toBe('c');
    });

    test('a transition needs a live lease: an expired holder can no longer move the intent', async () => {
      const { intent } = await ledger.record(newIntent());
      await ledger.acquireLease(intent.id, 'slow', 50);
      await sleep(120);
      expect(await ledger.apply(intent.id, 'slow', 'pending', 'send')).toBeUndefined();
      expect((await ledger.get(intent.id))?.state).toBe('pending');
    });
  });

  describe('compare-and-set transitions', () => {
    test('two moves from the same state by the lease holder: exactly one wins', async () => {
      const { intent } = await ledger.record(newIntent());
      await ledger.acquireLease(intent.id, 'me', 60_000);
      const results = await Promise.all([ledger.apply(intent.id, 'me', 'pending', 'send', { countAttempt: true }), ledger.apply(intent.id, 'me', 'pending', 'send', { countAttempt: true })]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect((await ledger.get(intent.id))?.attempts).toBe(1);
    });

    test('a move from a state the intent is no longer in changes nothing', async () => {
      const { intent } = await ledger.record(newIntent());
      await ledger.acquireLease(intent.id, 'me', 60_000);
      await ledger.apply(intent.id, 'me', 'pending', 'send');
      expect(await ledger.apply(intent.id, 'me', 'pending', 'send')).toBeUndefined();
      const lost = await ledger.apply(intent.id, 'me', 'sent', 'lose', { lastError: { code: 'outcome_unknown', text: 'No answer.' } });
      expect(lost).toMatchObject({ state: 'unknown', lastError: { code: 'outcome_unknown', text: 'No answer.' } });
    });

    test('a move the table forbids is a bug, refused before touching the row', async () => {
      const { intent } = await ledger.record(newIntent());
      await ledger.acquireLease(intent.id, 'me', 60_000);
      await expect(ledger.apply(intent.id, 'me', 'pending', 'confirm')).rejects.toBeInstanceOf(AppError);
      expect((await ledger.get(intent.id))?.state).toBe('pending');
    });

    test('changes ride along: attempts, times, document id, errors, retry time', async () => {
      const { intent } = await ledger.record(newIntent());
      await ledger.acquireLease(intent.id, 'me', 60_000);
      const sent = await ledger.apply(intent.id, 'me', 'pending', 'send', { countAttempt: true, markSent: true });
      expect(sent?.sentAt).toBeInstanceOf(Date);
      const back = await ledger.apply(intent.id, 'me', 'sent', 'not-applied', { nextAttemptInMs: 5_000, lastError: { code: 'ehr_busy', text: 'Wait.' } });
      expect(back?.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() + 3_000);
      await ledger.apply(intent.id, 'me', 'pending', 'send', { countAttempt: true, nextAttemptInMs: null });
      await ledger.apply(intent.id, 'me', 'sent', 'created', { documentId: 'doc-9', documentUrl: 'http://localhost:4001/fhir/DocumentReference/doc-9', lastError: null });
      const done = await ledger.apply(intent.id, 'me', 'sent', 'confirm', { markConfirmed: true });
      expect(done).toMatchObject({ state: 'confirmed', attempts: 2, documentId: 'doc-9' });
      expect(done?.lastError).toBeUndefined();
      expect(done?.nextAttemptAt).toBeUndefined();
      expect(done?.confirmedAt).toBeInstanceOf(Date);
    });
  });

  describe('what is stored', () => {
    test('the note (PHI) is sealed: not in clear in the raw row, and opens only in its own row', async () => {
      const intent = newIntent();
      const { intent: recorded } = await ledger.record(intent);
      await ledger.acquireLease(recorded.id, 'me', 60_000);
      await ledger.apply(recorded.id, 'me', 'pending', 'send');
      await ledger.apply(recorded.id, 'me', 'sent', 'reject', { lastError: { code: 'rejected', text: 'HTTP 422' }, detail: `The EHR says ${CANARY} is unknown` });
      const [raw] = await db.query('SELECT * FROM write_intents WHERE id = $1', [recorded.id]);
      const dump = JSON.stringify(raw);
      expect(dump).not.toContain(CANARY);
      expect(dump).not.toContain(intent.documentReference.content[0]?.attachment.data);
      expect(dump).not.toContain('Discussion ID');
      expect(await ledger.payloadOf(recorded.id)).toEqual(intent.documentReference);
      expect(await ledger.detailOf(recorded.id)).toContain(CANARY);
      const { intent: other } = await ledger.record(newIntent());
      await db.query('UPDATE write_intents SET payload_sealed = $2 WHERE id = $1', [other.id, (raw as { payload_sealed: string }).payload_sealed]);
      await expect(ledger.payloadOf(other.id)).rejects.toBeInstanceOf(AppError);
    });

    test('a retracted note frees the discussion for its replacement; the replacement is a new intent', async () => {
      const intent = newIntent();
      const { intent: first } = await ledger.record(intent);
      await ledger.acquireLease(first.id, 'me', 60_000);
      await ledger.apply(first.id, 'me', 'pending', 'send');
      await ledger.apply(first.id, 'me', 'sent', 'confirm', { documentId: 'doc-1' });
      await ledger.apply(first.id, 'me', 'confirmed', 'retract');
      const replacement = await ledger.record({ ...intent, replacesDocumentId: 'doc-1' });
      expect(replacement.created).toBe(true);
      expect(replacement.intent).toMatchObject({ state: 'pending', replacesDocumentId: 'doc-1' });
      expect((await ledger.findLive(intent.discussionId))?.id).toBe(replacement.intent.id);
    });
  });

  describe('what is resumed and recovered', () => {
    test('a relaunch resumes the open intents of its tenant, patient and clinician only', async () => {
      const patientId = `p-${crypto.randomBytes(4).toString('hex')}`;
      const mine = await ledger.record(newIntent({ patientId }));
      await ledger.record(newIntent({ patientId, clinician: 'Practitioner/someone-else' }));
      const done = await ledger.record(newIntent({ patientId }));
      await ledger.acquireLease(done.intent.id, 'me', 60_000);
      await ledger.apply(done.intent.id, 'me', 'pending', 'send');
      await ledger.apply(done.intent.id, 'me', 'sent', 'confirm');
      const open = await ledger.listResumable('sandbox', patientId, 'Practitioner/dr-1');
      expect(open.map((i) => i.id)).toEqual([mine.intent.id]);
    });

    test('the sweep takes sent intents whose lease lapsed, not live ones, and not those waiting for a relaunch', async () => {
      const lapsed = (await ledger.record(newIntent())).intent;
      const live = (await ledger.record(newIntent())).intent;
      const relaunch = (await ledger.record(newIntent())).intent;
      for (const [intent, ms] of [[lapsed, 60], [live, 60_000], [relaunch, 60]] as const) {
        await ledger.acquireLease(intent.id, 'dead-process', ms);
        await ledger.apply(intent.id, 'dead-process', 'pending', 'send');
      }
      await ledger.apply(relaunch.id, 'dead-process', 'sent', 'not-applied', { lastError: { code: 'relaunch_needed', text: 'Relaunch.' }, nextAttemptInMs: 0 });
      await sleep(150);
      const ids = (await ledger.listRecoverable(500)).map((i) => i.id);
      expect(ids).toContain(lapsed.id);
      expect(ids).not.toContain(live.id);
      expect(ids).not.toContain(relaunch.id);
    });
  });
});
