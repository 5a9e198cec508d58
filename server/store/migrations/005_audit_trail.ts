import type { Migration } from '../migrations';

/**
 * The audit trail (server/audit): one row per audited action, each carrying the SHA-256 of the row before it, so an
 * edited, deleted, reordered or inserted row breaks the chain where it happened. `audit_head` holds the chain's end:
 * an append locks it (`FOR UPDATE`), so concurrent writers — on one PostgreSQL, from any number of app instances —
 * extend one chain in one order. Rows hold FHIR ids and codes, never names, birth dates or free text.
 */
export const auditTrail005: Migration = {
  id: '005_audit_trail',
  sql: `
CREATE TABLE audit_events (
  seq bigint PRIMARY KEY,
  recorded_at timestamptz NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL,
  tenant_id text,
  actor text,
  patient_id text,
  record jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_events_recorded_at ON audit_events (recorded_at);
CREATE INDEX audit_events_patient ON audit_events (tenant_id, patient_id, recorded_at);
CREATE INDEX audit_events_actor ON audit_events (actor, recorded_at);
CREATE TABLE audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}');
`,
};
