import type { Migration } from '../migrations';

/**
 * The write ledger (server/writeback/ledger.ts): one row per intent to file a discussion note to the chart, recorded
 * *before* the POST leaves, so a double click, a second tab, a lost answer or a restarted process can never file a
 * second note (Epic has no conditional create and Oracle Health ignores `identifier`: research ehr-writeback.md §0,
 * security-reliability.md §4.2). The columns are what the state machine, the lease and compliance queries need and
 * carry no clinical content; the DocumentReference itself (PHI) is in `payload_sealed` and the EHR's own words about a
 * refusal (which may quote the chart) in `detail_sealed`, both AES-256-GCM sealed with the row id as context.
 *
 * - `intent_key` UNIQUE: SHA-256 of (FHIR base, patient, encounter, discussion id, content hash).
 * - At most one live intent per discussion (a partial unique index): two racing first clicks that built slightly
 *   different bytes (a PDF's creation time) still land on one row. A note marked entered-in-error leaves room for
 *   its replacement.
 * - `lease_owner` / `lease_until`: only the holder of a live lease sends; everyone else reads the state.
 */
export const writeLedger003: Migration = {
  id: '003_write_ledger',
  sql: `
CREATE TABLE write_intents (
  id uuid PRIMARY KEY,
  intent_key text NOT NULL,
  discussion_id uuid NOT NULL,
  tenant_id text NOT NULL,
  fhir_base_url text NOT NULL,
  patient_id text NOT NULL,
  encounter_id text,
  clinician text NOT NULL,
  launch_id text,
  profile text NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_error text,
  last_error_text text,
  document_id text,
  document_url text,
  identifier text NOT NULL,
  replaces_document_id text,
  request_sha256 text NOT NULL,
  note_sha256 text NOT NULL,
  pdf_sha256 text,
  lease_owner text,
  lease_until timestamptz,
  payload_sealed text NOT NULL,
  detail_sealed text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz,
  confirmed_at timestamptz,
  CONSTRAINT write_intents_intent_key UNIQUE (intent_key),
  CONSTRAINT write_intents_state_check
    CHECK (state IN ('pending', 'sent', 'unknown', 'confirmed', 'reconciled', 'failed', 'entered-in-error')),
  CONSTRAINT write_intents_profile_check CHECK (profile IN ('us-core', 'epic', 'oracle')),
  CONSTRAINT write_intents_attempts_check CHECK (attempts >= 0)
);
CREATE UNIQUE INDEX write_intents_one_live ON write_intents (discussion_id) WHERE state <> 'entered-in-error';
CREATE INDEX write_intents_resume ON write_intents (tenant_id, patient_id, clinician)
  WHERE state IN ('pending', 'sent', 'unknown');
CREATE INDEX write_intents_open ON write_intents (state, lease_until) WHERE state IN ('pending', 'sent', 'unknown');
`,
};
