import crypto from 'node:crypto';
import type { Db } from '../../server/store/db';
import { createSealedBox } from '../../server/store/sealed-box';
import { DiscussionStore } from '../../server/consent/discussion-store';
import { dbTargets } from '../support/db-targets';
import type { DiscussionKey, DiscussionSnapshot, ShownFlag } from '../../server/consent/discussion';

/**
 * Discussion records on every backend: PGlite in memory and — when TEST_DATABASE_URL is set (CI) — a PostgreSQL
 * server, in a schema of its own that is dropped afterwards.
 */
const targets = dbTargets('discussion_test');


const T0 = new Date('2030-03-01T09:00:00.000Z');
const SECRET_EVIDENCE = 'Warfarin 5 mg tablet (evidence-marker-7731)';

const anticoagulant: ShownFlag = {
  id: 'anticoagulant-bleeding',
  audience: 'patient',
  severity: 'alert',
  handoutFlag: 'bleeding-risk',
  title: 'Anticoagulant on the medication list',
  reason: 'An anticoagulant raises the risk of bleeding around the spine.',
  source: { id: 'narouze-2018', text: 'Narouze S, et al. 2018' },
  evidence: [{ reference: 'MedicationRequest/m1', display: SECRET_EVIDENCE }],
};

function key(overrides: Partial<DiscussionKey> = {}): DiscussionKey {
  return { tenantId: 'sandbox', patientId: 'pat-1', encounterId: 'enc-1', clinician: 'Practitioner/dr-1', ...overrides };
}

function snapshot(overrides: Partial<DiscussionSnapshot> = {}): DiscussionSnapshot {
  return {
    fhirBaseUrl: 'https://ehr.example.org/fhir',
    launchId: 'launch-aaaaaaaaaaaaaaaa',
    clinicianName: 'Dr Ana Rivera',
    pack: { id: 'itdd-pump-handout', version: '1.0.0', language: 'en', title: 'Your drug pump' },
    checklist: { id: 'itdd-consent-checklist', version: '1.0.0' },
    interpreterNeeded: false,
    flagsShown: [anticoagulant],
    uncheckedAreas: [],
    appAnswers: { 'handout-version': { value: '1.0.0' } },
    ...overrides,
  };
}

describe.each(targets)('discussion store on %s', (_name, makeTarget) => {
  const target = makeTarget();
  const box = createSealedBox({ current: { id: 'test', key: crypto.randomBytes(32) } });
  let db: Db;
  let clock: Date;
  let store: DiscussionStore;

  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await target.cleanup(db);
    await db.close();
  });
  beforeEach(async () => {
    await db.query('DELETE FROM discussions');
    clock = T0;
    store = new DiscussionStore(db, box, { now: () => clock });
  });
  const advance = (ms: number): void => {
    clock = new Date(clock.getTime() + ms);
  };

  describe('drafts', () => {
    test('a new draft records who, which patient and encounter, which content and what was shown', async () => {
      const draft = await store.openDraft(key(), snapshot());
      expect(draft).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: 'sandbox', fhirBaseUrl: 'https://ehr.example.org/fhir', patientId: 'pat-1', encounterId: 'enc-1',
        clinician: { fhirUser: 'Practitioner/dr-1', name: 'Dr Ana Rivera' }, launchId: 'launch-aaaaaaaaaaaaaaaa',
        pack: snapshot().pack, checklist: snapshot().checklist, interpreterNeeded: false, flagsShown: [anticoagulant],
        uncheckedAreas: [], dismissedFlags: [], clinicianNotes: [], answers: { 'handout-version': { value: '1.0.0' } },
        status: 'draft', createdAt: T0, updatedAt: T0, version: 1,
      });
      expect(await store.get(draft.id)).toEqual(draft);
    });

    test('what the tailoring could not check is stored, sealed, with the draft', async () => {
      const area = {
        read: 'conditions' as const, flag: 'unchecked-conditions' as const, state: 'failed' as const,
        checks: ['bleeding risk', 'infection risk'], rules: ['antithrombotic-bleeding-risk', 'diabetes-infection-risk'],
        text: 'Conditions could not be read: bleeding risk and infection risk were not checked from the chart.',
      };
      const draft = await store.openDraft(key({ patientId: 'pat-unchecked' }), snapshot({ uncheckedAreas: [area] }));
      expect((await store.get(draft.id))?.uncheckedAreas).toEqual([area]);
      const rows = await db.query<Record<string, unknown>>('SELECT * FROM discussions WHERE id = $1', [draft.id]);
      expect(JSON.stringify(rows)).not.toContain('infection risk');
    });

    test('a reload or relaunch resumes the same draft with everything entered', async () => {
      const draft = await store.openDraft(key(), snapshot());
      const saved = await store.saveAnswers(draft.id, 1, { ...draft.answers, 'facility-name': { value: 'St Elsewhere' } });
      const resumed = await store.openDraft(key(), snapshot());
      expect(resumed).toEqual(saved);
      const relaunched = await store.openDraft(key(), snapshot({ launchId: 'launch-bbbbbbbbbbbbbbbb' }));
      expect(relaunched.id).toBe(draft.id);
      expect(relaunched.launchId).toBe('launch-bbbbbbbbbbbbbbbb');
      expect(relaunched.version).toBe(saved.version + 1);
      expect(relaunched.answers['facility-name']).toEqual({ value: 'St Elsewhere' });
    });

    test('resuming takes the chart and pack as they are now; the server overwrites app-filled answers only', async () => {
      const draft = await store.openDraft(key(), snapshot());
      await store.saveAnswers(draft.id, 1, { alternatives: { value: true }, 'handout-version': { value: '1.0.0' } });
      const pack = { ...snapshot().pack, version: '1.1.0' };
      const resumed = await store.openDraft(key(), snapshot({ flagsShown: [], pack, appAnswers: { 'handout-version': { value: '1.1.0' } } }));
      expect(resumed.flagsShown).toEqual([]);
      expect(resumed.pack.version).toBe('1.1.0');
      expect(resumed.answers).toEqual({ alternatives: { value: true }, 'handout-version': { value: '1.1.0' } });
    });

    test('two first loads at once create one draft', async () => {
      const drafts = await Promise.all([1, 2, 3, 4, 5].map(() => store.openDraft(key(), snapshot())));
      expect(new Set(drafts.map((d) => d.id)).size).toBe(1);
      expect(await db.query('SELECT id FROM discussions')).toHaveLength(1);
    });

    test('one draft per tenant, patient, encounter and clinician; no encounter is a key of its own', async () => {
      const ids = new Set<string>();
      for (const k of [key(), key({ clinician: 'Practitioner/dr-2' }), key({ encounterId: 'enc-2' }), key({ patientId: 'pat-2' }), key({ tenantId: 'epic' }), key({ encounterId: undefined })]) {
        ids.add((await store.openDraft(k, snapshot())).id);
      }
      expect(ids.size).toBe(6);
      expect((await store.openDraft(key({ encounterId: undefined }), snapshot())).encounterId).toBeUndefined();
      expect(await db.query('SELECT id FROM discussions')).toHaveLength(6);
    });

    test('get and findDraft answer undefined for what does not exist', async () => {
      expect(await store.get('not-a-uuid')).toBeUndefined();
      expect(await store.get(crypto.randomUUID())).toBeUndefined();
      expect(await store.findDraft(key())).toBeUndefined();
    });
  });

  describe('changes', () => {
    test('autosave replaces the answers and moves the version on', async () => {
      const draft = await store.openDraft(key(), snapshot());
      advance(5_000);
      const first = await store.saveAnswers(draft.id, 1, { 'facility-name': { value: 'A' }, alternatives: { value: true } });
      const second = await store.saveAnswers(draft.id, 2, { 'facility-name': { value: 'B' } });
      expect(first.version).toBe(2);
      expect(first.updatedAt).toEqual(new Date(T0.getTime() + 5_000));
      expect(second.version).toBe(3);
      expect(second.answers).toEqual({ 'facility-name': { value: 'B' } });
    });

    test('a save from a stale version is refused with 409 and changes nothing', async () => {
      const draft = await store.openDraft(key(), snapshot());
      await store.saveAnswers(draft.id, 1, { 'facility-name': { value: 'from window one' } });
      await expect(store.saveAnswers(draft.id, 1, { 'facility-name': { value: 'from window two' } })).rejects.toMatchObject({
        status: 409, details: { reason: 'stale_version' },
      });
      expect((await store.get(draft.id))?.answers).toEqual({ 'facility-name': { value: 'from window one' } });
    });

    test('of racing saves from the same version exactly one wins', async () => {
      const draft = await store.openDraft(key(), snapshot());
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((v) => store.saveAnswers(draft.id, 1, { 'facility-name': { value: v } })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await store.get(draft.id))?.version).toBe(2);
    });

    test('a dismissed flag and a note record who and when; a flag is dismissed once and must have been shown', async () => {
      const draft = await store.openDraft(key(), snapshot());
      const at = T0.toISOString();
      const dismissed = await store.dismissFlag(draft.id, 1, { flagId: anticoagulant.id, reason: 'Stopped last week', by: 'Practitioner/dr-1', at });
      expect(dismissed.dismissedFlags).toEqual([{ flagId: anticoagulant.id, reason: 'Stopped last week', by: 'Practitioner/dr-1', at }]);
      await expect(store.dismissFlag(draft.id, 2, { flagId: anticoagulant.id, reason: 'again', by: 'x', at })).rejects.toMatchObject({ status: 409 });
      await expect(store.dismissFlag(draft.id, 2, { flagId: 'never-shown', reason: 'r', by: 'x', at })).rejects.toMatchObject({ status: 404 });
      const noted = await store.addNote(draft.id, 2, { text: 'Daughter present.', by: 'Practitioner/dr-1', at });
      expect(noted.clinicianNotes).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), text: 'Daughter present.', by: 'Practitioner/dr-1', at }]);
      expect(noted.version).toBe(3);
    });
  });

  describe('attestation', () => {
    test('freezes the record; the next launch starts a new draft while this launch still finds it', async () => {
      const draft = await store.openDraft(key(), snapshot());
      advance(60_000);
      const answers = { attestation: { value: true }, 'attestation-datetime': { value: clock.toISOString() } };
      const attested = await store.attest(draft.id, 1, { attestedAt: clock, attestedBy: 'Practitioner/dr-1', answers });
      expect(attested).toMatchObject({ status: 'attested', attestedAt: clock, attestedBy: 'Practitioner/dr-1', answers, version: 2 });
      await expect(store.saveAnswers(draft.id, 2, {})).rejects.toMatchObject({ status: 409, details: { reason: 'not_draft' } });
      await expect(store.addNote(draft.id, 2, { text: 't', by: 'b', at: 'a' })).rejects.toMatchObject({ status: 409 });
      expect(await store.findDraft(key())).toBeUndefined();
      expect(await store.findLatestInLaunch(key(), snapshot().launchId)).toEqual(attested);
      const next = await store.openDraft(key(), snapshot({ launchId: 'launch-cccccccccccccccc' }));
      expect(next.id).not.toBe(draft.id);
      expect(next.answers).toEqual(snapshot().appAnswers);
    });

    test('lists a patient\'s discussions newest first, and no one else\'s', async () => {
      const first = await store.openDraft(key(), snapshot());
      await store.attest(first.id, 1, { attestedAt: clock, attestedBy: 'Practitioner/dr-1', answers: {} });
      advance(60_000);
      const second = await store.openDraft(key(), snapshot());
      await store.openDraft(key({ patientId: 'pat-2' }), snapshot());
      const listed = await store.listForPatient('sandbox', 'pat-1');
      expect(listed.map((d) => [d.id, d.status])).toEqual([[second.id, 'draft'], [first.id, 'attested']]);
      expect(await store.listForPatient('other-tenant', 'pat-1')).toEqual([]);
    });
  });

  describe('at rest', () => {
    test('answers, notes, reasons and chart evidence are sealed; compliance columns are clear', async () => {
      const draft = await store.openDraft(key(), snapshot());
      await store.saveAnswers(draft.id, 1, { 'facility-name': { value: 'answer-marker-1194' } });
      await store.addNote(draft.id, 2, { text: 'note-marker-5520', by: 'Practitioner/dr-1', at: T0.toISOString() });
      const raw = JSON.stringify(await db.query('SELECT * FROM discussions'));
      for (const marker of ['answer-marker-1194', 'note-marker-5520', 'evidence-marker-7731', 'Dr Ana Rivera']) {
        expect(raw).not.toContain(marker);
      }
      const [row] = await db.query<Record<string, unknown>>('SELECT tenant_id, patient_id, encounter_id, clinician, status, pack_version FROM discussions');
      expect(row).toEqual({ tenant_id: 'sandbox', patient_id: 'pat-1', encounter_id: 'enc-1', clinician: 'Practitioner/dr-1', status: 'draft', pack_version: '1.0.0' });
    });

    test('a payload copied into another row does not open there', async () => {
      const a = await store.openDraft(key(), snapshot());
      const b = await store.openDraft(key({ patientId: 'pat-2' }), snapshot());
      await db.query('UPDATE discussions SET payload_sealed = (SELECT payload_sealed FROM discussions WHERE id = $1) WHERE id = $2', [a.id, b.id]);
      await expect(store.get(b.id)).rejects.toMatchObject({ code: 'internal', details: { reason: 'tampered' } });
    });
  });
});
