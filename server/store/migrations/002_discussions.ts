import type { Migration } from '../migrations';

/**
 * Discussion records (server/consent/discussion.ts). The columns are what compliance queries filter and sort on —
 * who, which patient and encounter, which content, which state, when — and carry no clinical content. Everything
 * the clinician and the patient said (answers, notes, dismissal reasons) and the chart evidence behind the
 * tailoring flags live in `payload_sealed`, AES-256-GCM sealed with the row id as context (sealed-box.ts).
 *
 * At most one draft per (tenant, patient, encounter, clinician): a partial unique index, so a reload or a relaunch
 * of the same chart resumes the same draft and two racing first loads cannot create two. A launch without an
 * encounter counts as encounter '' (NULLs are distinct in a unique index on PostgreSQL before 15).
 */
export const discussions002: Migration = {
  id: '002_discussions',
  sql: `
CREATE TABLE discussions (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  fhir_base_url text NOT NULL,
  patient_id text NOT NULL,
  encounter_id text,
  clinician text NOT NULL,
  launch_id text NOT NULL,
  status text NOT NULL,
  pack_id text NOT NULL,
  pack_version text NOT NULL,
  pack_language text NOT NULL,
  checklist_id text NOT NULL,
  checklist_version text NOT NULL,
  payload_sealed text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  attested_at timestamptz,
  attested_by text,
  version integer NOT NULL,
  CONSTRAINT discussions_status_check CHECK (status IN ('draft', 'attested')),
  CONSTRAINT discussions_attested_check CHECK ((status = 'draft') = (attested_at IS NULL))
);
CREATE UNIQUE INDEX discussions_one_draft
  ON discussions (tenant_id, patient_id, (COALESCE(encounter_id, '')), clinician) WHERE status = 'draft';
CREATE INDEX discussions_patient ON discussions (tenant_id, patient_id, created_at);
CREATE INDEX discussions_attested_at ON discussions (attested_at) WHERE attested_at IS NOT NULL;
`,
};
