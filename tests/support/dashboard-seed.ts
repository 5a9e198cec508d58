import crypto from 'node:crypto';
import type { Db } from '../../server/store/db';
import type { SealedBox } from '../../server/store/sealed-box';
import { createSealedBox } from '../../server/store/sealed-box';
import type { Discussion } from '../../server/consent/discussion';
import { DISCUSSION_COLUMNS, rowValues } from '../../server/consent/discussion-rows';
import type { DashboardStatus } from '../../server/compliance/dashboard-filters';

/**
 * Many synthetic discussions straight into the store, for the dashboard's paging tests and its benchmark: every
 * tenth is a draft, the rest attested and spread over the filing states (a write intent each, so the page's join
 * has real rows to read). The spread comes from the row number, so a test computes what each filter must return
 * from `SeededDiscussion` facts instead of hard-coding counts.
 */
export interface SeededDiscussion {
  id: string;
  createdAt: Date;
  patientId: string;
  clinician: string;
  version: string;
  language: string;
  status: DashboardStatus;
}

export const SEED_TENANT = 'seed-tenant';
export const SEED_BASE = 'https://ehr.example.org/r4';
export const SEED_CLINICIANS = [1, 2, 3, 4, 5].map((n) => `${SEED_BASE}/Practitioner/seed-clinician-${n}`);

export function seedBox(): SealedBox {
  return createSealedBox({ current: { id: 'seed', key: crypto.randomBytes(32) } });
}

const FILING: Readonly<Record<number, { state: string; status: DashboardStatus } | undefined>> = {
  0: { state: 'confirmed', status: 'filed' }, 1: { state: 'confirmed', status: 'filed' }, 2: { state: 'reconciled', status: 'filed' },
  3: { state: 'confirmed', status: 'filed' }, 4: { state: 'pending', status: 'pending' }, 5: { state: 'failed', status: 'failed' },
  6: { state: 'entered-in-error', status: 'entered-in-error' }, 7: { state: 'confirmed', status: 'filed' },
};

function discussionOf(i: number, start: Date): { discussion: Discussion; fact: SeededDiscussion; filingState: string | undefined } {
  const createdAt = new Date(start.getTime() - i * 60_000);
  const draft = i % 10 === 9;
  const filing = draft || i % 10 === 8 ? undefined : FILING[i % 10];
  const status: DashboardStatus = draft ? 'draft' : (filing?.status ?? 'attested');
  const clinician = SEED_CLINICIANS[i % SEED_CLINICIANS.length] ?? '';
  const language = i % 4 === 0 ? 'es' : 'en';
  const version = i % 3 === 0 ? '1.1.0' : '1.0.0';
  const discussion: Discussion = {
    id: crypto.randomUUID(), tenantId: SEED_TENANT, fhirBaseUrl: SEED_BASE, patientId: `seed-patient-${i % 997}`,
    encounterId: `seed-encounter-${i}`, clinician: { fhirUser: clinician }, launchId: `seed-launch-${i}`,
    pack: { id: 'itdd-pump-handout', version, language, title: 'Seeded pack' },
    checklist: { id: 'itdd-consent-checklist', version: '1.0.0' },
    interpreterNeeded: language !== 'en', flagsShown: [], uncheckedAreas: [], dismissedFlags: [], clinicianNotes: [],
    answers: { 'teach-back': { value: 'understood' }, 'interpreter-used': { value: language === 'en' ? 'not-needed' : 'used' } },
    status: draft ? 'draft' : 'attested', createdAt, updatedAt: createdAt, version: 1,
    ...(draft ? {} : { attestedAt: createdAt, attestedBy: clinician }),
  };
  const fact = { id: discussion.id, createdAt, patientId: discussion.patientId, clinician, version, language, status };
  return { discussion, fact, filingState: filing?.state };
}

const BATCH = 500;

/** Inserts `count` discussions (and their write intents) for {@link SEED_TENANT}; returns their facts. */
export async function seedDiscussions(db: Db, box: SealedBox, count: number, start = new Date('2026-06-01T12:00:00Z')): Promise<SeededDiscussion[]> {
  const facts: SeededDiscussion[] = [];
  for (let offset = 0; offset < count; offset += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - offset) }, (_v, k) => discussionOf(offset + k, start));
    const width = DISCUSSION_COLUMNS.length;
    const values = batch.flatMap((b) => rowValues(box, b.discussion));
    const tuples = batch.map((_b, r) => `(${DISCUSSION_COLUMNS.map((_c, c) => `$${r * width + c + 1}`).join(', ')})`);
    await db.query(`INSERT INTO discussions (${DISCUSSION_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    const filed = batch.filter((b) => b.filingState !== undefined);
    if (filed.length > 0) {
      const intentValues = filed.flatMap((b) => [
        crypto.randomUUID(), `seed-key-${b.discussion.id}`, b.discussion.id, SEED_TENANT, SEED_BASE, b.discussion.patientId,
        b.discussion.clinician.fhirUser, b.filingState, `doc-${b.discussion.id.slice(0, 8)}`, `urn:uuid:${b.discussion.id}`,
        '0'.repeat(64), 'a'.repeat(64), 'seeded', b.discussion.createdAt,
      ]);
      const per = 14;
      const intentTuples = filed.map((_b, r) => {
        const p = (n: number): string => `$${r * per + n}`;
        return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, 'us-core', ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(13)}, ${p(14)}, ${p(14)})`;
      });
      await db.query(
        `INSERT INTO write_intents (id, intent_key, discussion_id, tenant_id, fhir_base_url, patient_id, clinician, profile, state,
           document_id, identifier, request_sha256, note_sha256, payload_sealed, created_at, updated_at)
         VALUES ${intentTuples.join(', ')}`,
        intentValues,
      );
    }
    facts.push(...batch.map((b) => b.fact));
  }
  return facts;
}
