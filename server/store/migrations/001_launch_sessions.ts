import type { Migration } from '../migrations';

/**
 * SMART launch state. Secrets (the EHR tokens, fhirclient's state with the PKCE verifier) live only in the `*_sealed`
 * columns, AES-256-GCM sealed by the app (sealed-box.ts), so a database dump or backup does not leak bearer tokens.
 * State keys and launch ids are random ≥128-bit values from the caller and are only ever compared by equality.
 */
export const launchSessions001: Migration = {
  id: '001_launch_sessions',
  sql: `
CREATE TABLE pending_authorizations (
  state text PRIMARY KEY,
  browser_session_id text NOT NULL,
  tenant_id text NOT NULL,
  client_state_sealed text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX pending_authorizations_expires_at ON pending_authorizations (expires_at);

CREATE TABLE launch_sessions (
  launch_id text PRIMARY KEY,
  browser_session_id text NOT NULL,
  tenant_id text NOT NULL,
  fhir_base_url text NOT NULL,
  patient_id text NOT NULL,
  encounter_id text,
  fhir_user text,
  user_sub text,
  context jsonb NOT NULL,
  tokens_sealed text NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX launch_sessions_expires_at ON launch_sessions (expires_at);
CREATE INDEX launch_sessions_last_seen_at ON launch_sessions (last_seen_at);
`,
};
